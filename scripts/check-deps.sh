#!/usr/bin/env bash
# Fails when the build pulls in crates a monitor has no use for: MySQL,
# Arrow or pgvector, which sea-orm and sqlx features nobody chose would
# bring (Cargo.lock lists them as optional either way; `cargo tree` shows
# what is built, for every target, the browser's included).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
crates="$(cargo tree --workspace --target all -e normal,build --prefix none --format '{p}' \
  | awk '{ print $1 }' | sort -u)"
unwanted="$(grep -E '^(sqlx-mysql|mysql[a-z_-]*|arrow[a-z_-]*|pgvector)$' <<<"$crates" || true)"
if [ -n "$unwanted" ]; then
  echo "error: the dependency tree has crates Telltale must not build:" >&2
  echo "$unwanted" >&2
  echo "(see which feature pulls each in: cargo tree -i <crate> --target all -e features)" >&2
  exit 1
fi
echo "dependency tree: $(wc -l <<<"$crates") crates, none of MySQL, Arrow or pgvector"
