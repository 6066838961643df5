# shellcheck shell=bash
# gVisor cleanup: end the container's runsc processes (which `docker rm -f` leaves behind after a
# failed start) and remove the container by force. Safe on anything already gone.
# Environment: CONTAINER (name). Reads container.cid (written by docker run --cidfile).
: "${CONTAINER:?CONTAINER (the container name) must be set}"
id=""
if [ -s container.cid ]; then id=$(cat container.cid); fi
if [ -z "$id" ]; then id=$(docker_bounded inspect --format '{{.Id}}' "$CONTAINER" 2>/dev/null || true); fi
if [ -n "$id" ]; then gvisor_end_container_processes "$id" >/dev/null || true; fi
docker_bounded rm -f "$CONTAINER" >/dev/null 2>&1 || true
if [ -n "$id" ]; then gvisor_end_container_processes "$id" >/dev/null || true; fi
exit 0
