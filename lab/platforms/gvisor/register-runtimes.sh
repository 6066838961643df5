#!/usr/bin/env bash
# Registers gVisor (runsc) as Docker runtimes, one per combination of the lab's gVisor knobs:
#   runsc-<network>-<platform>, network: netstack (gVisor's own user-space TCP stack) | host
#   (--network=host), platform: systrap | ptrace | kvm (--platform=...).
# Merges into daemon.json (other keys are kept), reloads dockerd with SIGHUP (it may run without
# systemd) and waits until `docker info` lists every runtime. Idempotent: run it as often as you like.
#
# Environment (all optional):
#   RUNSC         runsc binary to register (default: runsc on PATH)
#   DAEMON_JSON   Docker daemon configuration (default /etc/docker/daemon.json)
#   RUNTIME_PREFIX  runtime name prefix (default runsc)
#   DOCKERD_PID   pid of dockerd to reload (default: /var/run/docker.pid, else pidof dockerd)
#   WAIT_S        seconds to wait for the runtimes to appear (default 30)
#   RELOAD        "no": only write the file, neither reload nor ask dockerd (default yes)
set -euo pipefail

RUNSC=${RUNSC:-$(command -v runsc || true)}
DAEMON_JSON=${DAEMON_JSON:-/etc/docker/daemon.json}
RUNTIME_PREFIX=${RUNTIME_PREFIX:-runsc}
WAIT_S=${WAIT_S:-30}
RELOAD=${RELOAD:-yes}
NETWORKS="netstack host"
PLATFORMS="systrap ptrace kvm"

if [ -z "$RUNSC" ] || [ ! -x "$RUNSC" ]; then
  echo "register-runtimes: runsc not found (RUNSC=${RUNSC:-unset}); install the runsc package" >&2
  exit 1
fi
command -v jq >/dev/null || { echo "register-runtimes: jq is needed (apt-get install jq)" >&2; exit 1; }

# The runtimes wanted, as one JSON object {name: {path, runtimeArgs}}.
wanted='{}'
for network in $NETWORKS; do
  for platform in $PLATFORMS; do
    args=$(jq -cn --arg p "--platform=$platform" --arg n "$network" \
      'if $n == "host" then ["--network=host", $p] else [$p] end')
    wanted=$(jq -c --arg name "$RUNTIME_PREFIX-$network-$platform" --arg path "$RUNSC" --argjson args "$args" \
      '.[$name] = {path: $path, runtimeArgs: $args}' <<<"$wanted")
  done
done

mkdir -p "$(dirname "$DAEMON_JSON")"
current='{}'
if [ -s "$DAEMON_JSON" ]; then
  current=$(jq -c . "$DAEMON_JSON") || { echo "register-runtimes: $DAEMON_JSON is not valid JSON" >&2; exit 1; }
fi
merged=$(jq --argjson wanted "$wanted" '.runtimes = ((.runtimes // {}) + $wanted)' <<<"$current")

changed=false
if [ "$(jq -S . <<<"$current")" != "$(jq -S . <<<"$merged")" ]; then
  tmp=$(mktemp "$DAEMON_JSON.XXXXXX")
  printf '%s\n' "$merged" > "$tmp"
  chmod 644 "$tmp"
  mv "$tmp" "$DAEMON_JSON"
  changed=true
fi

if [ "$RELOAD" = no ]; then
  echo "register-runtimes: $DAEMON_JSON $([ "$changed" = true ] && echo updated || echo unchanged) (no reload asked)"
  exit 0
fi

listed() {
  local runtimes
  runtimes=$(docker info --format '{{json .Runtimes}}' 2>/dev/null) || return 1
  jq -e --argjson wanted "$wanted" '($wanted | keys) - keys | length == 0' <<<"$runtimes" >/dev/null
}

if listed && [ "$changed" = false ]; then
  echo "register-runtimes: up to date ($(jq -r 'keys | join(" ")' <<<"$wanted"))"
  exit 0
fi

pid=${DOCKERD_PID:-}
if [ -z "$pid" ] && [ -s /var/run/docker.pid ]; then pid=$(cat /var/run/docker.pid); fi
if [ -z "$pid" ]; then pid=$(pidof dockerd || true); fi
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  kill -HUP "$pid"
else
  echo "register-runtimes: dockerd is not running; the runtimes apply when it starts" >&2
  exit 0
fi

for _ in $(seq 1 "$WAIT_S"); do
  if listed; then
    echo "register-runtimes: registered $(jq -r 'keys | join(" ")' <<<"$wanted") in $DAEMON_JSON"
    exit 0
  fi
  sleep 1
done
echo "register-runtimes: dockerd (pid $pid) did not list the runtimes within ${WAIT_S}s; its log says why" >&2
exit 1
