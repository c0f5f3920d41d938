# Shared helpers for the scripts in this folder; sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"

# Pinned tool versions. cargo-leptos 0.3.11 does not build on rustc 1.95.
CARGO_LEPTOS_VERSION="0.3.10"
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock")"

# Runs a named stage and prints how long it took.
stage() {
  local name="$1"
  shift
  local start=$SECONDS
  echo "==> $name"
  "$@"
  echo "<== $name: $((SECONDS - start)) s"
}

have() { command -v "$1" >/dev/null 2>&1; }

# apt-get as root (CI and these machines) or through sudo elsewhere.
apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if have sudo; then sudo="sudo"; else
      echo "error: need root (or sudo) to install: $*" >&2
      return 1
    fi
  fi
  if [ -z "${APT_UPDATED:-}" ]; then
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# The release site and binary. --precompress writes brotli and gzip copies of
# the site, and makes cargo-leptos build the site before the server, which
# embeds it (embedded-site/): the binary serves its dashboard from anywhere.
release_build() {
  cargo leptos build --release --split --precompress
  check_split_data
}

# wasm-split falls back to keeping all static data in the shared module
# when its new layout outgrows the linked one: nothing breaks, every page
# downloads every page's text. The new-job page's introduction is one such text.
check_split_data() {
  local probe="declaring it first gives it a schedule" pkg="$ROOT/target/site/pkg"
  # The probe must be somewhere, or a reworded page would silence the check.
  if ! grep -qaF "$probe" "$pkg"/*.wasm; then
    echo "error: no WASM file holds \"$probe\": update the probe in check_split_data" >&2
    return 1
  fi
  if grep -qaF "$probe" "$pkg/telltale.wasm"; then
    echo "error: the shared WASM module holds the new-job page's text: wasm-split kept all" >&2
    echo "static data in it; raise SPLIT_DATA_SLACK in frontend/src/lib.rs" >&2
    return 1
  fi
}

# The same, as a static binary (musl): the one `make dist` packs and the
# tests run, as in the FROM scratch container.
STATIC_TARGET="x86_64-unknown-linux-musl"
STATIC_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$STATIC_TARGET/release/telltale"
static_release_build() {
  LEPTOS_BIN_TARGET_TRIPLE="$STATIC_TARGET" cargo leptos build --release --split --precompress
  check_split_data
}
