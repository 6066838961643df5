# shellcheck shell=bash
# shellcheck disable=SC2154 # tools: set by the frame that runs it (the bootstrap step)
# The Nanos release's mkfs, which the release tarball does not carry (its Makefile's `release`
# target packs boot.img, bootx64.efi, kernel.img and klibs only): built from the locked source of
# the same tag and put beside kernel.img, where nanos-direct looks for it. `make mkfs` needs a C
# compiler and make only, not the vendored acpica, lwip or mbedtls (17 s on a 2-core VM).
# Runs after ops.sh (nanos-direct's install), which unpacks the kernel into $OPS_HOME/<version>.
# Inputs, as environment (lab/install.ts names them after the revision's download keys):
#   NANOS_SOURCE_VERSION NANOS_SOURCE_FILE NANOS_SOURCE_URL NANOS_SOURCE_SHA256   the source archive
#   OPS_HOME                                                                        ops' folder
: "${NANOS_SOURCE_VERSION:?}" "${NANOS_SOURCE_FILE:?}" "${NANOS_SOURCE_URL:?}" "${NANOS_SOURCE_SHA256:?}"
OPS_HOME=${OPS_HOME:-${HOME:-/root}/.ops}
release_dir="$OPS_HOME/$NANOS_SOURCE_VERSION"
[ -s "$release_dir/kernel.img" ] || fail "no Nanos $NANOS_SOURCE_VERSION release in $release_dir to put mkfs beside"
if [ ! -x "$release_dir/mkfs" ] || [ "$(cat "$release_dir/.edgelab-mkfs-sha256" 2>/dev/null || true)" != "$NANOS_SOURCE_SHA256" ]; then
  fetch nanos-source "$NANOS_SOURCE_FILE" "$NANOS_SOURCE_URL" sha256 "$NANOS_SOURCE_SHA256"
  build=$(mktemp -d)
  tar -xzf "$tools/downloads/$NANOS_SOURCE_FILE" -C "$build" --strip-components=1
  make -C "$build" -j"$(nproc)" mkfs >"$build.log" 2>&1 ||
    fail "make mkfs failed in the Nanos $NANOS_SOURCE_VERSION source (its log: $build.log)"
  install -m 0755 "$build/output/tools/bin/mkfs" "$release_dir/mkfs"
  printf '%s\n' "$NANOS_SOURCE_SHA256" >"$release_dir/.edgelab-mkfs-sha256"
  rm -rf "$build" "$build.log"
  changed "nanos mkfs $NANOS_SOURCE_VERSION (built from the locked source)"
fi
