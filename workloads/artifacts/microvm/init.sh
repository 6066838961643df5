#!/bin/busybox sh
# shellcheck shell=sh
# /init of the lab's Linux microVM (busybox-static, run as pid 1 by the kernel).
#
# It mounts proc, sys and dev, loads the virtio modules in the order listed in
# /lib/modules/microvm/load-order, brings up the network and starts the app with PORT set.
# The app runs as a child, not as pid 1: the kernel's OOM killer never picks init, so an app
# that was pid 1 would make the guest panic instead of being killed with the message the lab
# recognises ("Out of memory: Killed process"). When the app ends, init prints its status and
# powers the VM off, so QEMU (run with -no-reboot) exits too.
#
# Kernel command line (all optional):
#   microvm.ip=ADDRESS/PREFIX   guest address (default 10.0.2.15/24, QEMU user-mode networking)
#   microvm.gw=ADDRESS          default route (default 10.0.2.2)
#   microvm.port=PORT           the app's port (default 8080)

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

say() { echo "microvm-init: $*"; }

mount -t proc proc /proc
# The kernel unpacks the initramfs into RAM; when it runs out, it says so and goes on with a
# partial tree (a half-written app then fails with "Text file busy"). Stop here instead.
if dmesg | grep -q "Initramfs unpacking failed"; then
  say "the initramfs did not fit in guest memory: $(dmesg | grep "Initramfs unpacking failed")"
  poweroff -f
fi
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
chmod 1777 /tmp

while read -r module; do
  [ -n "$module" ] || continue
  if ! insmod "/lib/modules/microvm/$module.ko"; then
    say "insmod $module failed"
    poweroff -f
  fi
done < /lib/modules/microvm/load-order

address=10.0.2.15/24
gateway=10.0.2.2
port=8080
read -r cmdline < /proc/cmdline
for word in $cmdline; do
  case "$word" in
    microvm.ip=*) address=${word#microvm.ip=} ;;
    microvm.gw=*) gateway=${word#microvm.gw=} ;;
    microvm.port=*) port=${word#microvm.port=} ;;
  esac
done

ip link set lo up
# Without udev the first virtio-net device keeps the kernel's name.
tries=0
while ! ip link show eth0 > /dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 100 ]; then
    say "no eth0 after the virtio modules loaded"
    poweroff -f
  fi
  sleep 0.05
done
ip link set eth0 up
ip addr add "$address" dev eth0
ip route add default via "$gateway"
say "network eth0 $address via $gateway"
say "$(grep MemTotal /proc/meminfo)"

# The command, one argument per line (written by the lab's build).
set --
while IFS= read -r argument; do
  set -- "$@" "$argument"
done < /etc/microvm/command

export PORT="$port"
export HOME=/tmp
cd /tmp || true
say "starting $*"
"$@" &
app=$!
status=0
wait "$app" || status=$?
say "app exited with status $status"
poweroff -f
