#!/bin/busybox sh
# shellcheck shell=sh
# /sbin/microvm-run on the lab's Linux microVM root disk: pid 1 after the initramfs's switch_root.
#
# It starts the app with PORT set, as a child and not as pid 1: the kernel's OOM killer never
# picks init, so an app that was pid 1 would make the guest panic instead of being killed with
# the message the lab recognises ("Out of memory: Killed process"). It prints what the guest
# kernel left of -m (MemTotal) and, whenever it grows, the app's peak resident memory (VmHWM),
# which the lab keeps in guest.json. When the app ends, it prints its status and powers the VM
# off, so QEMU (run with -no-reboot) exits too.
#
# Kernel command line (optional):
#   microvm.port=PORT           the app's port (default 8080)

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
say() { echo "microvm-init: $*"; }

# The root is read-only: the app's scratch space is a tmpfs, which takes guest memory only as used.
mount -t tmpfs -o mode=1777 tmpfs /tmp

port=8080
read -r cmdline < /proc/cmdline
for word in $cmdline; do
  case "$word" in
    microvm.port=*) port=${word#microvm.port=} ;;
  esac
done
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

# The app's peak RSS, read with shell builtins once a second and printed when it grew.
(
  printed=0
  while [ -r "/proc/$app/status" ]; do
    hwm=0
    rss=0
    while read -r key value _; do
      case "$key" in
        VmHWM:) hwm=$value ;;
        VmRSS:) rss=$value ;;
      esac
    done < "/proc/$app/status"
    if [ "$hwm" -gt "$printed" ]; then
      say "app VmHWM: $hwm kB VmRSS: $rss kB"
      printed=$hwm
    fi
    sleep 1
  done
) &

status=0
wait "$app" || status=$?
say "app exited with status $status"
poweroff -f
