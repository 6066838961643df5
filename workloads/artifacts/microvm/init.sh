#!/bin/busybox sh
# shellcheck shell=sh
# /init of the lab's Linux microVM initramfs (busybox-static, run as pid 1 by the kernel). It only
# gets the guest to its root file system: the initramfs holds busybox and the kernel modules, no
# app, so it costs the guest almost no memory and is freed by switch_root.
#
# It mounts proc, sys and dev, loads the virtio modules in the order listed in
# /lib/modules/microvm/load-order (network, and the disk on virtio-scsi), brings up the network,
# mounts the disk (/dev/sda, ext4) read-only and switches to it, where /sbin/microvm-run starts
# the app. Should anything fail, it says why and powers the VM off, so QEMU (-no-reboot) exits.
#
# Kernel command line (all optional):
#   microvm.ip=ADDRESS/PREFIX   guest address (default 10.0.2.15/24, QEMU user-mode networking)
#   microvm.gw=ADDRESS          default route (default 10.0.2.2)

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /newroot
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

say() { echo "microvm-init: $*"; }

mount -t proc proc /proc
# The kernel unpacks the initramfs into RAM; when it runs out, it says so and goes on with a
# partial tree. Stop here instead.
if dmesg | grep -q "Initramfs unpacking failed"; then
  say "the initramfs did not fit in guest memory: $(dmesg | grep "Initramfs unpacking failed")"
  poweroff -f
fi
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true

while read -r module; do
  [ -n "$module" ] || continue
  if ! insmod "/lib/modules/microvm/$module.ko"; then
    say "insmod $module failed"
    poweroff -f
  fi
done < /lib/modules/microvm/load-order

address=10.0.2.15/24
gateway=10.0.2.2
read -r cmdline < /proc/cmdline
for word in $cmdline; do
  case "$word" in
    microvm.ip=*) address=${word#microvm.ip=} ;;
    microvm.gw=*) gateway=${word#microvm.gw=} ;;
  esac
done

# Without udev the first virtio-net device keeps the kernel's name, and the first SCSI disk is sda.
wait_for() {
  tries=0
  while ! [ -e "$1" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 200 ]; then
      say "no $1 after the virtio modules loaded"
      poweroff -f
    fi
    sleep 0.05
  done
}
wait_for /sys/class/net/eth0
ip link set lo up
ip link set eth0 up
ip addr add "$address" dev eth0
ip route add default via "$gateway"
say "network eth0 $address via $gateway"

wait_for /dev/sda
if ! mount -t ext4 -o ro /dev/sda /newroot; then
  say "the root file system on /dev/sda could not be mounted"
  poweroff -f
fi
mount --move /dev /newroot/dev
mount --move /sys /newroot/sys
mount --move /proc /newroot/proc
exec switch_root /newroot /sbin/microvm-run
