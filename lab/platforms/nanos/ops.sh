# shellcheck shell=bash
# shellcheck disable=SC2154 # tools, bundle, offline: set by the frame that runs it (the bootstrap step or install-ops.sh)
# Installs the locked ops and Nanos kernel: the Nanos platform's install on the Pulumi hosts
# (lab/platforms/nanos/host.ts) and install-ops.sh (a researcher's own KVM machine) run this same
# code. Inputs, as environment (lab/install.ts names them after the revision's download keys):
#   OPS_VERSION OPS_FILE OPS_URL OPS_SHA256        the ops binary (never the installer, never `ops update`)
#   NANOS_KERNEL_VERSION NANOS_KERNEL_FILE NANOS_KERNEL_URL NANOS_KERNEL_SHA256
#                                                  the Nanos kernel release, unpacked into $OPS_HOME/<version>
#   NANOS_COMMON_FILE NANOS_COMMON_URL NANOS_COMMON_SHA256
#                                                  ops' common files (unversioned upstream: only the lock pins them)
#   OPS_HOME                                       ops' folder (default: ~/.ops of root)
# and the helpers of infra/bootstrap/helpers.sh (fetch verifies every file against its sha256, from $bundle or the URL).
: "${OPS_VERSION:?}" "${OPS_FILE:?}" "${OPS_URL:?}" "${OPS_SHA256:?}"
: "${NANOS_KERNEL_VERSION:?}" "${NANOS_KERNEL_FILE:?}" "${NANOS_KERNEL_URL:?}" "${NANOS_KERNEL_SHA256:?}"
: "${NANOS_COMMON_FILE:?}" "${NANOS_COMMON_URL:?}" "${NANOS_COMMON_SHA256:?}"
OPS_HOME=${OPS_HOME:-${HOME:-/root}/.ops}
ops_dir="$tools/ops-$OPS_VERSION"
if [ "$(first_version "$("$ops_dir/ops.bin" version 2>/dev/null || true)" 'Ops version: *')" != "$OPS_VERSION" ]; then
  fetch ops "$OPS_FILE" "$OPS_URL" sha256 "$OPS_SHA256"
  mkdir -p "$ops_dir"
  install -m 0755 "$tools/downloads/$OPS_FILE" "$ops_dir/ops.bin"
  changed "ops $OPS_VERSION"
fi
# ops asks for the newest kernel (latest.txt) at every call and would fetch it: through a proxy
# that answers nothing it falls back to the pre-seeded, locked kernel. Every lab call of ops also
# names the kernel (--nanos-version).
if printf '#!/bin/sh\n# edgelab: ops %s, kept off the network so it never reaches for newer content\nHTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9 NO_PROXY= no_proxy= exec %s "$@"\n' "$OPS_VERSION" "$ops_dir/ops.bin" | put_file "$ops_dir/ops" 0755; then
  changed "ops wrapper"
fi
link "$ops_dir/ops" /usr/local/bin/ops
kernel_dir="$OPS_HOME/$NANOS_KERNEL_VERSION"
if [ ! -s "$kernel_dir/kernel.img" ] || [ "$(cat "$kernel_dir/.edgelab-sha256" 2>/dev/null || true)" != "$NANOS_KERNEL_SHA256" ]; then
  fetch nanos-kernel "$NANOS_KERNEL_FILE" "$NANOS_KERNEL_URL" sha256 "$NANOS_KERNEL_SHA256"
  rm -rf "$kernel_dir.new"
  mkdir -p "$kernel_dir.new"
  tar -xzf "$tools/downloads/$NANOS_KERNEL_FILE" -C "$kernel_dir.new"
  if [ ! -f "$kernel_dir.new/kernel.img" ] && [ -f "$kernel_dir.new/stage3.img" ]; then
    mv "$kernel_dir.new/stage3.img" "$kernel_dir.new/kernel.img"
  fi
  [ -s "$kernel_dir.new/kernel.img" ] || fail "the Nanos $NANOS_KERNEL_VERSION release has no kernel.img"
  printf '%s\n' "$NANOS_KERNEL_SHA256" > "$kernel_dir.new/.edgelab-sha256"
  rm -rf "$kernel_dir"
  mv "$kernel_dir.new" "$kernel_dir"
  changed "nanos kernel $NANOS_KERNEL_VERSION"
fi
# ops uses the kernel named in latest.txt unless --nanos-version says otherwise: pin both ways.
if printf '%s\n' "$NANOS_KERNEL_VERSION" | put_file "$OPS_HOME/latest.txt" 0644; then
  changed "latest.txt $NANOS_KERNEL_VERSION"
fi
fetch nanos-common "$NANOS_COMMON_FILE" "$NANOS_COMMON_URL" sha256 "$NANOS_COMMON_SHA256"
if ! cmp -s "$tools/downloads/$NANOS_COMMON_FILE" "$OPS_HOME/common.tar.gz" 2>/dev/null; then
  install -m 0644 "$tools/downloads/$NANOS_COMMON_FILE" "$OPS_HOME/common.tar.gz"
  changed "ops common files"
fi
[ "$(first_version "$(/usr/local/bin/ops version 2>/dev/null || true)" 'Ops version: *')" = "$OPS_VERSION" ] ||
  fail "ops does not report version $OPS_VERSION"
