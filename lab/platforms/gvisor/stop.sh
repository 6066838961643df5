# shellcheck shell=bash
# gVisor stop: SIGTERM (docker stop), record how it ended, remove it and its runsc processes.
# oomKilled only where something outside the sandbox says so: Docker's OOMKilled, or the kernel's
# OOM-kill line naming the container's memory cgroup. A sandbox that collapses under memory
# pressure without either is recorded as it ended (its exit code), never guessed to be an OOM.
# Environment: CONTAINER.
: "${CONTAINER:?}"
id=""
if [ -s container.cid ]; then id=$(cat container.cid); fi
docker_bounded stop --time 5 "$CONTAINER" >/dev/null 2>&1 || true
state=$(docker_bounded inspect --format '{{.State.ExitCode}} {{.State.OOMKilled}}' "$CONTAINER" 2>/dev/null || true)
docker_bounded logs "$CONTAINER" > app.log 2>&1 || true
if [ -s start.err ]; then cat start.err >> app.log; fi
docker_bounded rm -f "$CONTAINER" >/dev/null 2>&1 || true
if [ -n "$id" ]; then gvisor_end_container_processes "$id" >/dev/null || true; fi
oom=false
if [ -n "$state" ]; then oom=${state#* }; fi
# The log is read whole first: `dmesg | grep -q` would end dmesg with SIGPIPE, and pipefail
# would turn a match into a failure.
kernel_log=$(dmesg 2>/dev/null || true)
if [ "$oom" != true ] && [ -n "$id" ] && grep -F "oom-kill:" <<<"$kernel_log" | grep -F "$id" >/dev/null; then
  oom=true
  echo "gvisor: the kernel OOM-killed a process of the container's memory cgroup" >> app.log
fi
if [ -n "$state" ]; then
  printf '{"exitCode":%s,"signal":null,"oomKilled":%s}\n' "${state% *}" "$oom" > exit.json
else
  printf '{"exitCode":null,"signal":null,"oomKilled":%s}\n' "$oom" > exit.json
fi
