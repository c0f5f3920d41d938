#!/usr/bin/env bash
# Installs what building Telltale needs, each tool only when missing, at the
# exact version. Idempotent: a second run takes a few seconds.
#   scripts/setup.sh          tools to build and run
#   scripts/setup.sh --static also the musl target and musl-gcc (make dist)
#   scripts/setup.sh --test   both of the above, and Chromium for the browser tests
source "$(dirname "$0")/lib.sh"

want_browser=false
want_static=false
case "${1:-}" in
  --test) want_browser=true; want_static=true ;;
  --static) want_static=true ;;
esac

setup_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
  fi
}

setup_cargo_leptos() {
  if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
    # Its own release profile is fat LTO in one codegen unit: a long,
    # single-threaded link. Without them the install took 11.5 min here
    # (14-23 min with them); the tool's speed is not what a build waits on.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION"
  fi
}

setup_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    # Not --locked: the registry here lacks one version its lockfile pins.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

# npm packages (binaryen's wasm-opt for release builds, Playwright) from the
# lockfile; never a browser download.
setup_npm() {
  local stamp="$ROOT/end2end/node_modules/.telltale-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/end2end/package-lock.json" "$stamp"; then
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    cp "$ROOT/end2end/package-lock.json" "$stamp"
  fi
}

# The static build: Rust's musl target, musl-gcc for the C in it (SQLite,
# mimalloc, ring), and CA certificates to pack.
setup_static() {
  if ! rustup target list --installed | grep -qx "$STATIC_TARGET"; then
    rustup target add "$STATIC_TARGET"
  fi
  have musl-gcc || apt_install musl-tools
  # The container's root carries the build machine's CA bundle.
  [ -f /etc/ssl/certs/ca-certificates.crt ] || apt_install ca-certificates
}

setup_chromium() {
  if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    apt_install chromium
  fi
}

stage "rust wasm target" setup_wasm_target
stage "cargo-leptos $CARGO_LEPTOS_VERSION" setup_cargo_leptos
stage "wasm-bindgen-cli $WASM_BINDGEN_VERSION" setup_wasm_bindgen
stage "npm packages" setup_npm
if $want_static; then
  stage "musl target" setup_static
fi
if $want_browser; then
  stage "chromium" setup_chromium
fi
