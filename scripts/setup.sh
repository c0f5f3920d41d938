#!/usr/bin/env bash
# Installs what building Telltale needs, each tool only when missing, at the
# exact version. Idempotent: a second run takes a few seconds.
#   scripts/setup.sh          tools to build and run
#   scripts/setup.sh --test   also Chromium for the browser tests
source "$(dirname "$0")/lib.sh"

want_browser=false
[ "${1:-}" = "--test" ] && want_browser=true

setup_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
  fi
}

setup_cargo_leptos() {
  if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
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

setup_chromium() {
  if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    apt_install chromium
  fi
}

stage "rust wasm target" setup_wasm_target
stage "cargo-leptos $CARGO_LEPTOS_VERSION" setup_cargo_leptos
stage "wasm-bindgen-cli $WASM_BINDGEN_VERSION" setup_wasm_bindgen
stage "npm packages" setup_npm
if $want_browser; then
  stage "chromium" setup_chromium
fi
