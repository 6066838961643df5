#!/usr/bin/env bash
# Remove every network interface the lab's VM networking ever made, whatever run made it: taps
# first, then bridges (all named with the prefix below), and the address leases. Prints one line
# per interface removed.
#
# Environment: VMNET_PREFIX (e.g. edgelabvm), VMNET_STATE_DIR.
set -euo pipefail
: "${VMNET_PREFIX:?}" "${VMNET_STATE_DIR:?}"
mkdir -p "$VMNET_STATE_DIR"
exec 9> "$VMNET_STATE_DIR/lock"
flock 9

# "5: edgelabvm-1a2b3@NONE: <...>" or "5: edgelabvm-1a2b3: <...>": the name is field 2.
names=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep "^$VMNET_PREFIX" || true)
for kind in tun bridge; do
  for name in $names; do
    if ip -d -o link show dev "$name" 2>/dev/null | grep -qw "$kind"; then
      ip link delete dev "$name" 2>/dev/null && echo "$name"
    fi
  done
done
for dir in "$VMNET_STATE_DIR"/"$VMNET_PREFIX"*; do
  [ -d "$dir" ] && rm -rf "$dir"
done
exit 0
