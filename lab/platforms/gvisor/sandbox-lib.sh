# shellcheck shell=bash
# Functions shared by the gVisor instance scripts and the leftover sweep (inlined into them).
# A runsc container is, besides the stubs that run the app, these host processes: the containerd
# shim (containerd-shim-runc-v2 ... -id <id>, its cwd the OCI bundle), runsc-sandbox (the
# Sentry), runsc-gofer, and while Docker creates it the runtime wrapper and `runsc create`; all
# but the shim name the bundle (--bundle, a folder named by the container id). When runsc's start
# fails, `docker rm -f` removes the container but leaves sandbox and gofer running (using CPU);
# a runsc create that hangs (e.g. --platform=kvm without /dev/kvm) even blocks `docker inspect`.
# So the lab ends these processes itself, found by container id only.

# Docker commands get a deadline: a container stuck in creation blocks them.
DOCKER_DEADLINE_S=${DOCKER_DEADLINE_S:-30}
docker_bounded() { timeout --signal=KILL "$DOCKER_DEADLINE_S" docker "$@"; }

# Prints "pid role id bundle" for every runsc process and runsc containerd shim on this host.
gvisor_runsc_processes() {
  local dir pid args argv0 argv1 bundle
  local pattern='--bundle[= ]([^ ]+)'
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [ "$pid" = "$$" ] && continue
    args=$(tr '\0' ' ' < "$dir/cmdline" 2>/dev/null) || continue
    argv0=${args%% *}
    argv1=${args#* }
    argv1=${argv1%% *}
    case "${argv0##*/}" in
      containerd-shim-runc-v2)
        case "$args" in *" -id "*) ;; *) continue ;; esac
        bundle=$(readlink "$dir/cwd" 2>/dev/null) || continue
        # Only shims of runsc runtimes (options.json names the runtime binary Docker made for it).
        grep -qs runsc "$bundle/options.json" || continue
        printf '%s shim %s %s\n' "$pid" "${bundle##*/}" "$bundle"
        ;;
      runsc* | sh | bash | dash)
        case "${argv0##*/}" in runsc*) ;; *) case "${argv1##*/}" in runsc*) ;; *) continue ;; esac ;; esac
        [[ $args =~ $pattern ]] || continue
        bundle=${BASH_REMATCH[1]}
        printf '%s %s %s %s\n' "$pid" "${argv0##*/}" "${bundle##*/}" "$bundle"
        ;;
    esac
  done
}

# Ends every runsc process of container id $1 (its full id); prints what it ended.
gvisor_end_container_processes() {
  local id=$1 pid role pid_id bundle root="" pids="" shims="" alive
  case "$id" in *[!0-9a-f]* | "") echo "gvisor: not a container id: '$id'" >&2; return 1 ;; esac
  while read -r pid role pid_id bundle; do
    [ "$pid_id" = "$id" ] || continue
    if [ "$role" = shim ]; then shims="$shims $pid"; else pids="$pids $pid"; fi
    if [ -z "$root" ]; then
      root=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | sed -n 's/^--root=//p' | head -n 1)
    fi
  done < <(gvisor_runsc_processes)
  [ -n "$pids$shims" ] || return 0
  # runsc's own teardown first (it also removes its state), then signals for whatever remains.
  if [ -n "$root" ] && command -v runsc >/dev/null; then
    timeout --signal=KILL 20 runsc --root="$root" delete --force "$id" >/dev/null 2>&1 || true
  fi
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in $shims; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    alive=""
    for pid in $pids $shims; do
      if kill -0 "$pid" 2>/dev/null; then alive="$alive $pid"; fi
    done
    [ -z "$alive" ] && break
    sleep 0.5
  done
  for pid in $shims; do kill -KILL "$pid" 2>/dev/null || true; done
  echo "runsc processes of container ${id:0:12}:$pids$shims"
}
