# shellcheck shell=bash
# gVisor start: `docker run --runtime=<runsc runtime>`; the launch command of time to ready.
# Environment: CONTAINER; the array DOCKER_RUN_ARGS (everything after `docker`).
: "${CONTAINER:?}"
# --cidfile: docker writes the id as soon as the container exists, so even a start that fails
# leaves the id by which cleanup finds the runsc processes left behind.
printf '%s\n' "$EPOCHREALTIME" > launch.stamp
if ! docker "${DOCKER_RUN_ARGS[@]}" >/dev/null 2>start.err; then
  cat start.err >&2
  exit 1
fi
pid=$(docker inspect --format '{{.State.Pid}}' "$CONTAINER")
if [ "$pid" = 0 ]; then
  # It ended between its start and now (a sandbox OOM-killed at once does): say how.
  echo "gvisor: the container ended right after its start: $(docker inspect --format 'exit {{.State.ExitCode}}, OOMKilled={{.State.OOMKilled}}, {{.State.Error}}' "$CONTAINER")" >&2
  exit 1
fi
printf '%s\n' "$pid" > instance.pid
