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
docker inspect --format '{{.State.Pid}}' "$CONTAINER" > instance.pid
