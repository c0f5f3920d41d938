#!/usr/bin/env bash
# Sets up and runs every check: format, clippy (warnings are errors), unit and
# integration tests (PostgreSQL ones skip when no server answers, unless
# CI=true), the release build, and the Playwright suite in Chromium.
source "$(dirname "$0")/lib.sh"

"$ROOT/scripts/setup.sh" --test
cd "$ROOT"
total=$SECONDS

stage "cargo fmt" cargo fmt --all -- --check
stage "dependency tree" "$ROOT/scripts/check-deps.sh"
# The browser crate is linted for its own target; linting it on the host would
# unify the app's ssr and hydrate features into one build.
stage "clippy (server)" cargo clippy --workspace --exclude telltale-frontend --all-targets -- -D warnings
stage "clippy (browser)" cargo clippy -p telltale-frontend --target wasm32-unknown-unknown -- -D warnings
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
# The release build comes first: the multi-instance tests run its binary
# (TELLTALE_BIN), as operators would, and Playwright loads its pages. It is
# the static binary `make dist` packs, with the site inside it: the tests run
# what is shipped, and Playwright also runs it alone in the container's root.
stage "static release build and dist" "$ROOT/scripts/dist.sh"
export TELLTALE_BIN="$STATIC_BIN"
# cargo-nextest where installed (.config/nextest.toml), cargo test otherwise;
# nextest does not run doc tests, so those run after it.
if cargo nextest --version >/dev/null 2>&1; then
  stage "cargo nextest" bash -c "set -o pipefail; cargo nextest run --workspace --exclude telltale-frontend 2>&1 | tee '$logs/cargo.log'"
  stage "doc tests" bash -c "set -o pipefail; cargo test --doc --workspace --exclude telltale-frontend 2>&1 | tee -a '$logs/cargo.log'"
else
  stage "cargo test" bash -c "set -o pipefail; cargo test --workspace --exclude telltale-frontend 2>&1 | tee '$logs/cargo.log'"
fi
stage "playwright" bash -c "set -o pipefail; cd '$ROOT/end2end' && npx playwright test 2>&1 | tee '$logs/playwright.log'"

# One closing line over both runners, so a reader of the log's end sees the total.
cargo_passed=$(
  {
    grep -oE 'test result: ok\. [0-9]+ passed' "$logs/cargo.log" | awk '{ print $4 }'
    grep -oE 'Summary \[ *[0-9.]+s\] [0-9]+ tests? run: [0-9]+ passed' "$logs/cargo.log" | awk '{ print $(NF-1) }'
  } | awk '{ s += $1 } END { print s + 0 }'
)
browser_passed=$(grep -oE '^ +[0-9]+ passed' "$logs/playwright.log" | awk '{ s += $1 } END { print s + 0 }')
echo "all checks passed in $((SECONDS - total)) s (after setup): $cargo_passed Rust tests, $browser_passed browser tests"
echo "tests: $((cargo_passed + browser_passed)) passed, 0 failed"
