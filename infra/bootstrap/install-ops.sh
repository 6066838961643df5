#!/usr/bin/env bash
# Installs the lab's locked ops and Nanos kernel on this machine (a researcher's KVM laptop or
# workstation), with the same code as the Pulumi hosts' bootstrap (ops.sh beside this file), so
# `npm run lab` runs the Nanos cells here. Run as root. Where it cannot install, it says why in
# one line and exits 0 (the lab then records the Nanos cells as skipped, with the reason).
#
# Inputs (environment):
#   LAB_LOCK        the lock beside the revision (default: revisions/paper-2025.lock.json); read
#                   with jq when the values below are not given
#   OPS_VERSION OPS_FILE OPS_URL OPS_SHA256 NANOS_VERSION KERNEL_FILE KERNEL_URL KERNEL_SHA256
#   COMMON_FILE COMMON_URL COMMON_SHA256        (instead of LAB_LOCK)
#   LAB_BUNDLE_DIR  take the files from here when they are there (air-gapped), else download them
#   LAB_OFFLINE=1   never download
#   OPS_HOME        ops' folder (default: ~/.ops of the user who called sudo)
#   LAB_TOOLS_DIR   where the pinned tools go (default /opt/edgelab-tools)
#   LAB_SKIP_KVM_CHECK=1  install without /dev/kvm (container tests)
set -euo pipefail
umask 022
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
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
if [ -z "${OPS_SHA256:-}" ]; then
  lock=${LAB_LOCK:-$root/revisions/paper-2025.lock.json}
  if [ ! -f "$lock" ]; then
    say "not installed: $lock does not exist yet (lock the downloads first: npx tsx infra/pin.ts --revision paper-2025)"
    exit 0
  fi
  if ! command -v jq >/dev/null; then
    say "not installed: jq is needed to read $lock (scripts/install-system.sh installs it; or give OPS_VERSION, OPS_SHA256, ... in the environment)"
    exit 0
  fi
  if ! missing=$(jq -r '["ops", "nanosKernel", "nanosCommon"] - (.files | keys) | join(",")' "$lock" 2>&1); then
    say "not installed: $lock is not a lock file jq can read ($missing)"
    exit 0
  fi
  if [ -n "$missing" ]; then
    say "not installed: $lock has no entry for $missing yet (npx tsx infra/pin.ts --revision paper-2025)"
    exit 0
  fi
  # One locked file's field; values are data (assigned, never evaluated).
  locked() { jq -r --arg file "$1" --arg field "$2" '.files[$file][$field] // ""' "$lock"; }
  OPS_VERSION=$(locked ops version) OPS_FILE=$(locked ops file) OPS_URL=$(locked ops url) OPS_SHA256=$(locked ops sha256)
  NANOS_VERSION=$(locked nanosKernel version) KERNEL_FILE=$(locked nanosKernel file)
  KERNEL_URL=$(locked nanosKernel url) KERNEL_SHA256=$(locked nanosKernel sha256)
  COMMON_FILE=$(locked nanosCommon file) COMMON_URL=$(locked nanosCommon url) COMMON_SHA256=$(locked nanosCommon sha256)
  export OPS_VERSION OPS_FILE OPS_URL OPS_SHA256 NANOS_VERSION KERNEL_FILE KERNEL_URL KERNEL_SHA256 COMMON_FILE COMMON_URL COMMON_SHA256
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
. "$here/helpers.sh"
# shellcheck source=infra/bootstrap/ops.sh
. "$here/ops.sh"
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then chown -R "$SUDO_USER:" "$OPS_HOME"; fi
if [ "${#changes[@]}" -gt 0 ]; then
  echo "ops: changed (${changes[*]}): ops $OPS_VERSION, Nanos kernel $NANOS_VERSION in $OPS_HOME" >&3
else
  echo "ops: unchanged (ops $OPS_VERSION, Nanos kernel $NANOS_VERSION in $OPS_HOME)" >&3
fi
