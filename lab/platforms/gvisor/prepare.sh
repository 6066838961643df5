# shellcheck shell=bash
# gVisor prepare (off the clock): clear the folder, check the runtime, write limits.json.
# Environment: CONTAINER, RUNTIME (Docker runtime name), GVISOR_PLATFORM, CPUS, CPU_HOW,
# MEMORY_MB, NETWORK_HOW.
: "${CONTAINER:?}" "${RUNTIME:?}" "${GVISOR_PLATFORM:?}" "${CPUS:?}" "${CPU_HOW:?}" "${MEMORY_MB:?}" "${NETWORK_HOW:?}"
rm -f instance.pid exit.json limits.json container.cid launch.stamp start.err app.log
docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
runtimes=$(docker info --format '{{json .Runtimes}}')
case "$runtimes" in
  *"\"$RUNTIME\""*) ;;
  *)
    echo "gvisor: Docker has no runtime $RUNTIME; run lab/platforms/gvisor/register-runtimes.sh (as root)" >&2
    exit 1
    ;;
esac
if [ "$GVISOR_PLATFORM" = kvm ] && [ ! -w /dev/kvm ]; then
  echo "gvisor: gvisorPlatform=kvm needs /dev/kvm, which this host does not offer; use systrap or ptrace" >&2
  exit 1
fi
# The daemon says whether it can enforce memory and swap limits (cgroup memory / swap accounting).
mem_ok=$(docker info --format '{{.MemoryLimit}}')
swap_ok=$(docker info --format '{{.SwapLimit}}')
mem_how="--memory=${MEMORY_MB}m --memory-swap=${MEMORY_MB}m on the whole sandbox (Sentry, gofer and app); gVisor shows it to the app as total memory, with no cgroup inside"
if [ "$swap_ok" != "true" ]; then mem_how="$mem_how (no swap accounting: the sandbox may swap)"; fi
printf '{"cpu":{"requested":%s,"enforced":true,"how":"%s"},"memoryMB":{"requested":%s,"enforced":%s,"how":"%s"},"network":"%s","accelerator":null}\n' \
  "$CPUS" "$CPU_HOW" "$MEMORY_MB" "$mem_ok" "$mem_how" "$NETWORK_HOW" > limits.json
