# shellcheck shell=bash
# Finds and ends what lab runs left of gVisor: runsc processes whose container carries the lab's
# marker (first: a container stuck in creation blocks Docker), then containers of a runsc runtime
# with the lab's run label. Prints one line per thing ended. Meant for when no run is active (it
# ends live lab gVisor containers too), or for one run's id.
# Environment: RUN_LABEL (label key), RUN_ID (optional: only this run).
: "${RUN_LABEL:?RUN_LABEL (the lab run label key) must be set}"
RUN_ID=${RUN_ID:-}

# True when the bundle's container carries the lab's marker (for run $2 if given).
gvisor_bundle_is_lab() {
  local bundle=$1 run=${2:-}
  if [ -n "$run" ]; then
    grep -qsF "\"$GVISOR_LAB_ENV=$run\"" "$bundle/config.json"
  else
    grep -qsF "\"$GVISOR_LAB_ENV=" "$bundle/config.json"
  fi
}

end_lab_processes() {
  local ids="" id bundle
  while read -r _ _ id bundle; do
    case " $ids " in *" $id "*) continue ;; esac
    if gvisor_bundle_is_lab "$bundle" "$RUN_ID"; then ids="$ids $id"; fi
  done < <(gvisor_runsc_processes)
  for id in $ids; do gvisor_end_container_processes "$id" || true; done
}

end_lab_processes
filter="label=$RUN_LABEL"
if [ -n "$RUN_ID" ]; then filter="label=$RUN_LABEL=$RUN_ID"; fi
if command -v docker >/dev/null; then
  for cid in $(docker_bounded ps -aq --no-trunc --filter "$filter" 2>/dev/null || true); do
    read -r name runtime < <(docker_bounded inspect --format '{{.Name}} {{.HostConfig.Runtime}}' "$cid" 2>/dev/null || true)
    case "${runtime:-}" in runsc*) ;; *) continue ;; esac
    docker_bounded rm -f "$cid" >/dev/null 2>&1 || true
    echo "container ${name#/}"
  done
fi
# Removing a container whose start had failed can leave its sandbox: look once more.
end_lab_processes
exit 0
