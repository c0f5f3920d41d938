#!/usr/bin/env bash
# Sets up, builds the release binary with its site, and starts Telltale on
# SQLite (./monitor.sqlite unless MONITOR_DB_PATH says otherwise).
# Login is off by default here: this is the local, single-user way to run it.
source "$(dirname "$0")/lib.sh"

"$ROOT/scripts/setup.sh"
cd "$ROOT"
stage "release build" release_build
export MONITOR_AUTH_ENABLED="${MONITOR_AUTH_ENABLED:-false}"
exec "$ROOT/target/release/telltale" serve
