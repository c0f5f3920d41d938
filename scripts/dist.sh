#!/usr/bin/env bash
# Builds the static Linux binary (x86_64-unknown-linux-musl, the site inside
# it) and packs the release tarball:
#   dist/telltale-<version>-x86_64-linux.tar.gz  binary, systemd unit,
#                                                 example env file, licences, INSTALL
#   dist/rootfs/                                  what the Containerfile copies
#                                                 into its FROM scratch image
source "$(dirname "$0")/lib.sh"

[ "${1:-}" = "--pack-only" ] || "$ROOT/scripts/setup.sh" --static
cd "$ROOT"
[ "${1:-}" = "--pack-only" ] || stage "static release build" static_release_build

version="$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)"
package="telltale-$version-x86_64-linux"
binary="$STATIC_BIN"

pack() {
  # A static binary has no program interpreter: it runs in an empty root.
  if readelf -l "$binary" | grep -q 'Requesting program interpreter'; then
    echo "error: $binary is dynamically linked" >&2
    return 1
  fi
  rm -rf dist/"$package" dist/rootfs
  mkdir -p dist/"$package"
  install -m 0755 "$binary" dist/"$package"/telltale
  install -m 0644 packaging/telltale.service packaging/telltale.env.example \
    LICENSE-MIT LICENSE-APACHE dist/"$package"/
  sed "s/@VERSION@/$version/" packaging/INSTALL >dist/"$package"/INSTALL
  tar -C dist --owner=0 --group=0 --sort=name -czf dist/"$package".tar.gz "$package"
  (cd dist && sha256sum "$package".tar.gz >"$package".tar.gz.sha256)

  # The container's whole file system: the binary, CA certificates for
  # outgoing TLS (SMTP, webhooks), and the data directory.
  install -D -m 0755 "$binary" dist/rootfs/telltale
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt dist/rootfs/etc/ssl/certs/ca-certificates.crt
  install -d -m 0750 dist/rootfs/data
  echo "dist/$package.tar.gz: $(du -h dist/"$package".tar.gz | cut -f1) ($(du -h "$binary" | cut -f1) binary)"
}
stage "pack" pack
