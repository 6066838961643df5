#!/usr/bin/env bash
# The Nanos platform's install on a researcher's own KVM machine (its `localScript`,
# lab/platforms/nanos/host.ts): the locked ops and Nanos kernel, with the same code as the Pulumi
# hosts' bootstrap (ops.sh beside this file), so `npm run lab` runs the Nanos cells here.
# `sudo bash scripts/install-system.sh` runs it (through scripts/installPlugins.ts, which reads the
# revision and its lock); run as root. Where it cannot install, it says why in one line and exits
# 0 (the lab then records the Nanos cells as skipped, with the reason).
#
# Inputs (environment; scripts/installPlugins.ts gives them, lab/install.ts names them):
#   OPS_* NANOS_KERNEL_* NANOS_COMMON_*   each locked file's name, URL, sha256 and version
#   LAB_HELPERS     the bootstrap's helpers (infra/bootstrap/helpers.sh), sourced
#   LAB_BUNDLE_DIR  take the files from here when they are there (air-gapped), else download them
#   LAB_OFFLINE=1   never download
#   OPS_HOME        ops' folder (default: ~/.ops of the user who called sudo)
#   LAB_TOOLS_DIR   where the pinned tools go (default /opt/edgelab-tools)
#   LAB_SKIP_KVM_CHECK=1  install without /dev/kvm (container tests)
set -euo pipefail
umask 022
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
step=ops
say() { echo "ops: $*"; }

# /dev/kvm existing is not enough (some hosts expose it and cannot run a guest): the firmware of a
# tiny KVM guest must get to print its banner on the debug port, as the lab's own probe checks.
kvm_runs_a_guest() {
  local probe status code
  probe=$(mktemp -d)
  # In a subshell whose stderr is dropped: a QEMU that aborts makes the shell report it there.
  (timeout 10 qemu-system-x86_64 -machine q35,accel=kvm -cpu max -smp 1 -m 16 -nodefaults -no-user-config \
    -display none -monitor none -serial none -chardev "file,id=fw,path=$probe/fw" \
    -device isa-debugcon,iobase=0x402,chardev=fw >"$probe/err" 2>&1 && code=0 || code=$?
  echo "$code" >"$probe/status") 2>/dev/null || true
  status=$(cat "$probe/status" 2>/dev/null || echo unknown)
  if [ -s "$probe/fw" ]; then
    rm -rf "$probe"
    return 0
  fi
  kvm_error=$(grep -m 1 . "$probe/err" || echo "exit $status")
  rm -rf "$probe"
  return 1
}
if [ "${LAB_SKIP_KVM_CHECK:-0}" != 1 ]; then
  if [ ! -e /dev/kvm ]; then
    say "not installed: /dev/kvm is missing here (no hardware virtualisation), so the Nanos cells cannot run on this machine"
    exit 0
  fi
  if ! command -v qemu-system-x86_64 >/dev/null; then
    say "not installed: QEMU is missing (apt-get install qemu-system-x86), so /dev/kvm cannot be checked and Nanos cannot run"
    exit 0
  fi
  kvm_error=""
  if ! kvm_runs_a_guest; then
    say "not installed: /dev/kvm is here but cannot run a guest ($kvm_error), so the Nanos cells cannot run on this machine"
    exit 0
  fi
fi
if [ "$(id -u)" -ne 0 ]; then
  say "not installed: run as root (it installs into /opt/edgelab-tools and /usr/local/bin)"
  exit 0
fi
if [ -z "${OPS_SHA256:-}" ] || [ -z "${NANOS_KERNEL_SHA256:-}" ] || [ -z "${NANOS_COMMON_SHA256:-}" ] || [ -z "${LAB_HELPERS:-}" ]; then
  say "not installed: the locked files are not given (run it through sudo bash scripts/install-system.sh, which reads the revision's lock)"
  exit 0
fi
if [ -z "${OPS_HOME:-}" ]; then
  user=${SUDO_USER:-root}
  OPS_HOME="$(getent passwd "$user" | cut -d: -f6)/.ops"
fi
export OPS_HOME
tools=${LAB_TOOLS_DIR:-/opt/edgelab-tools}
bundle=${LAB_BUNDLE_DIR:-/nonexistent}
offline=${LAB_OFFLINE:-0}
log=/var/log/edgelab/install-ops.log
mkdir -p /var/log/edgelab "$tools/downloads" "$OPS_HOME"
exec 3>&1 4>&2
exec >>"$log" 2>&1
echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) install-ops (bundle $bundle)"
# shellcheck source=infra/bootstrap/helpers.sh
. "$LAB_HELPERS"
# shellcheck source=lab/platforms/nanos/ops.sh
. "$here/ops.sh"
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then chown -R "$SUDO_USER:" "$OPS_HOME"; fi
if [ "${#changes[@]}" -gt 0 ]; then
  echo "ops: changed (${changes[*]}): ops $OPS_VERSION, Nanos kernel $NANOS_KERNEL_VERSION in $OPS_HOME" >&3
else
  echo "ops: unchanged (ops $OPS_VERSION, Nanos kernel $NANOS_KERNEL_VERSION in $OPS_HOME)" >&3
fi
