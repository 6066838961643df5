#!/usr/bin/env bash
# Create (if missing) the lab's bridge with its private subnet, and one tap on it for one VM;
# lease the VM an address on the subnet and print it. Idempotent: run again for the same tap,
# it changes nothing and prints the same address.
#
# Environment:
#   VMNET_BRIDGE      bridge name, e.g. edgelabvm0
#   VMNET_TAP         tap name, e.g. edgelabvm-1a2b3
#   VMNET_SUBNET      the first three octets of the /24, e.g. 10.231.0 (host .1, guests .2-.254)
#   VMNET_STATE_DIR   where address leases live (one file per address, holding the tap's name)
set -euo pipefail
: "${VMNET_BRIDGE:?}" "${VMNET_TAP:?}" "${VMNET_SUBNET:?}" "${VMNET_STATE_DIR:?}"
bridge=$VMNET_BRIDGE
tap=$VMNET_TAP
leases="$VMNET_STATE_DIR/$bridge"
mkdir -p "$leases"

# One lab script at a time changes the bridge and the leases.
exec 9> "$VMNET_STATE_DIR/lock"
flock 9

if ! ip link show dev "$bridge" > /dev/null 2>&1; then
  ip link add name "$bridge" type bridge
fi
ip addr replace "$VMNET_SUBNET.1/24" dev "$bridge"
ip link set dev "$bridge" up

if ! ip link show dev "$tap" > /dev/null 2>&1; then
  ip tuntap add dev "$tap" mode tap
fi
ip link set dev "$tap" master "$bridge"
ip link set dev "$tap" up

lease=""
for n in $(seq 2 254); do
  if [ -f "$leases/$n" ] && [ "$(cat "$leases/$n")" = "$tap" ]; then
    lease=$n
    break
  fi
done
if [ -z "$lease" ]; then
  for n in $(seq 2 254); do
    holder=$(cat "$leases/$n" 2>/dev/null || true)
    # A lease whose tap is gone was left by an interrupted run: take it over.
    if [ -z "$holder" ] || ! ip link show dev "$holder" > /dev/null 2>&1; then
      echo "$tap" > "$leases/$n"
      lease=$n
      break
    fi
  done
fi
if [ -z "$lease" ]; then
  echo "vmnet: no free address left on $VMNET_SUBNET.0/24 (bridge $bridge)" >&2
  exit 1
fi
echo "$VMNET_SUBNET.$lease"
