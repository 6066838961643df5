#!/usr/bin/env bash
# Remove one VM's tap and its address lease; remove the bridge too once no tap is left on it.
# Safe to run on anything already gone.
#
# Environment: VMNET_BRIDGE, VMNET_TAP, VMNET_STATE_DIR (as for tap-up.sh).
set -euo pipefail
: "${VMNET_BRIDGE:?}" "${VMNET_TAP:?}" "${VMNET_STATE_DIR:?}"
bridge=$VMNET_BRIDGE
tap=$VMNET_TAP
leases="$VMNET_STATE_DIR/$bridge"
mkdir -p "$VMNET_STATE_DIR"

exec 9> "$VMNET_STATE_DIR/lock"
flock 9

if ip link show dev "$tap" > /dev/null 2>&1; then
  ip link delete dev "$tap"
fi
if [ -d "$leases" ]; then
  for lease in "$leases"/*; do
    [ -f "$lease" ] || continue
    if [ "$(cat "$lease")" = "$tap" ]; then rm -f "$lease"; fi
  done
fi
if ip link show dev "$bridge" > /dev/null 2>&1; then
  ports=$(ip -o link show master "$bridge" 2>/dev/null | wc -l)
  if [ "$ports" -eq 0 ]; then
    ip link delete dev "$bridge"
    rm -rf "$leases"
  fi
fi
