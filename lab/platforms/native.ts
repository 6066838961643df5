import { hasCommand } from "../../core/exec";
import { type Shell, sh, shellCode } from "../../core/shell";
import { binaryRecipe } from "../../workloads/artifacts/recipes";
import { LAUNCH_STAMP_LINE } from "../clock";
import { envPrefix, scriptHead, writeLimitsJsonLine } from "./shell";
import type { Availability, InstanceContext, InstanceScripts, Platform } from "./types";

/** cgroup folders the native platform creates, one per instance, under each hierarchy's root. */
const CGROUP_PARENT = "edgelab";

/**
 * Shell that finds or makes the instance's memory cgroup and applies the limit, setting
 * `cg` (the folder, or empty) and `mem_enforced`/`mem_how`. cgroup v2 needs the memory
 * controller enabled down the tree; v1 has its own memory hierarchy. Swap is capped too
 * (memsw in v1, swap.max in v2) so the limit is a real memory limit.
 */
function memoryCgroupLines(name: string, memoryMB: number): Shell {
  const bytes = memoryMB * 1024 * 1024;
  const v2Parent = `/sys/fs/cgroup/${CGROUP_PARENT}`;
  const v1Parent = `/sys/fs/cgroup/memory/${CGROUP_PARENT}`;
  return sh`name=${name}
cg=""
mem_enforced=false
mem_how="no writable memory cgroup on this host"
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  parent=${v2Parent}
  if mkdir -p "$parent" 2>/dev/null \\
    && { grep -qw memory /sys/fs/cgroup/cgroup.subtree_control || echo +memory > /sys/fs/cgroup/cgroup.subtree_control; } 2>/dev/null \\
    && { grep -qw memory "$parent/cgroup.subtree_control" || echo +memory > "$parent/cgroup.subtree_control"; } 2>/dev/null \\
    && mkdir -p "$parent/$name" 2>/dev/null \\
    && echo ${bytes} > "$parent/$name/memory.max" 2>/dev/null; then
    cg="$parent/$name"
    echo 0 > "$cg/memory.swap.max" 2>/dev/null || true
    mem_enforced=true
    mem_how="cgroup v2 memory.max"
  fi
elif [ -d /sys/fs/cgroup/memory ]; then
  parent=${v1Parent}
  if mkdir -p "$parent/$name" 2>/dev/null \\
    && echo ${bytes} > "$parent/$name/memory.limit_in_bytes" 2>/dev/null; then
    cg="$parent/$name"
    mem_enforced=true
    mem_how="cgroup v1 memory.limit_in_bytes"
    if echo ${bytes} > "$cg/memory.memsw.limit_in_bytes" 2>/dev/null; then
      mem_how="$mem_how + memory.memsw.limit_in_bytes"
    else
      echo 0 > "$cg/memory.swappiness" 2>/dev/null || true
    fi
  fi
fi
`;
}

/**
 * Start: the app runs under a small supervisor (setsid, so a Ctrl-C to the runner does not
 * reach it uncontrolled) that moves itself into the cgroup before exec'ing the app, waits for
 * it and records its exit status in exit.code. CPUs are limited by affinity.
 */
function prepareScript(ctx: InstanceContext): Shell {
  const { cpus, memoryMB } = ctx.resources;
  return sh`${scriptHead(`native prepare: ${ctx.runtime}, ${cpus} CPU, ${memoryMB} MB`, ctx.workDir)}
rm -f instance.pid exit.code exit.json limits.json
${memoryCgroupLines(ctx.instanceName, memoryMB)}
host_cpus=$(nproc --all)
cpu_enforced=false
if [ ${cpus} -le "$host_cpus" ]; then cpu_enforced=true; fi
${writeLimitsJsonLine({
  cpus,
  cpuEnforced: shellCode('"$cpu_enforced"'),
  cpuHow: `taskset -c ${ctx.cpuList} (affinity)`,
  memoryMB,
  memoryEnforced: shellCode('"$mem_enforced"'),
  memoryHow: shellCode('"$mem_how"'),
  network: "host loopback",
})}echo "$cg" > cgroup.path
`;
}

function startScript(ctx: InstanceContext): Shell {
  const { cpus, memoryMB } = ctx.resources;
  return sh`${scriptHead(`native start: ${ctx.runtime}, ${cpus} CPU, ${memoryMB} MB`, ctx.workDir)}
cg=$(cat cgroup.path)
cpus=${ctx.cpuList}

# The supervisor joins the cgroup and takes the CPU affinity first, then stamps the launch and
# execs the app: everything but the exec itself is off the time-to-ready clock.
# shellcheck disable=SC2016 # the supervisor's own variables expand inside it, not here
${envPrefix({ ...ctx.env, PORT: String(ctx.hostPort) })} setsid bash -c '
  cg=$1
  cpus=$2
  shift 2
  (
    if [ -n "$cg" ]; then echo "$BASHPID" > "$cg/cgroup.procs"; fi
    taskset -p -c "$cpus" "$BASHPID" > /dev/null
    ${shellCode(LAUNCH_STAMP_LINE)}
    exec "$@"
  ) &
  app=$!
  # An app whose pid cannot be recorded (a full disk) could never be stopped: it is ended at once.
  if ! { echo "$app" > instance.pid.tmp && mv instance.pid.tmp instance.pid; } 2> /dev/null; then kill -KILL "$app"; fi
  status=0
  wait "$app" || status=$?
  echo "$status" > exit.code
' supervise "$cg" "$cpus" ${ctx.artifact} > app.log 2>&1 < /dev/null &

for _ in $(seq 1 2000); do
  [ -s instance.pid ] && exit 0
  sleep 0.001
done
echo "the app did not start (no instance.pid)" >&2
exit 1
`;
}

/** The cgroup's OOM-kill count, as v1 memory.oom_control and v2 memory.events report it. */
const OOM_CHECK = shellCode(`oom=false
if [ -n "$cg" ]; then
  for f in "$cg/memory.oom_control" "$cg/memory.events"; do
    if [ -f "$f" ] && grep -Eq '^oom_kill [1-9]' "$f"; then oom=true; fi
  done
fi`);

function stopScript(ctx: InstanceContext): Shell {
  return sh`${scriptHead(`native stop: ${ctx.instanceName}`, ctx.workDir)}
pid=$(cat instance.pid 2>/dev/null || true)
cg=$(cat cgroup.path 2>/dev/null || true)
if [ -n "$pid" ] && [ ! -s exit.code ]; then kill -TERM "$pid" 2>/dev/null || true; fi
# Polled every 10 ms (still 5 s in all): a coarser poll only adds its half-period to every cell.
for _ in $(seq 1 500); do
  [ -s exit.code ] && break
  [ -z "$pid" ] && break
  sleep 0.01
done
if [ -n "$pid" ] && [ ! -s exit.code ]; then
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do [ -s exit.code ] && break; sleep 0.02; done
fi
status=$(cat exit.code 2>/dev/null || true)
${OOM_CHECK}
exit_code=null
signal=null
if [ -n "$status" ]; then
  if [ "$status" -gt 128 ]; then signal="\\"$(kill -l $((status - 128)))\\""; else exit_code=$status; fi
fi
printf '{"exitCode":%s,"signal":%s,"oomKilled":%s}\\n' "$exit_code" "$signal" "$oom" > exit.json
if [ -n "$cg" ]; then rmdir "$cg" 2>/dev/null || true; fi
`;
}

function cleanupScript(ctx: InstanceContext): Shell {
  return sh`${scriptHead(`native cleanup: ${ctx.instanceName}`, ctx.workDir)}
pid=$(cat instance.pid 2>/dev/null || true)
if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
cg=$(cat cgroup.path 2>/dev/null || true)
for _ in $(seq 1 50); do
  if [ -z "$cg" ] || [ ! -d "$cg" ] || rmdir "$cg" 2>/dev/null; then break; fi
  sleep 0.02
done
exit 0
`;
}

export const nativePlatform: Platform = {
  name: "native",
  description: "the bare process on the host: affinity for CPUs, a memory cgroup (the floor under all others)",
  class: { kernel: "linux", isolation: "none" },
  knobs: {},
  sharedKnobs: [],
  artifact: binaryRecipe,
  ports: "free",
  startCostS: 0.3,
  probeDuringStart: true,
  async checkAvailability(): Promise<Availability> {
    for (const tool of ["taskset", "setsid", "nproc"]) {
      if (!(await hasCommand(tool, ["--version"]))) {
        return { ok: false, reason: `native: ${tool} not installed (util-linux/coreutils)`, facts: {} };
      }
    }
    return { ok: true, facts: {} };
  },
  scripts: (ctx): InstanceScripts => ({
    prepare: prepareScript(ctx).text,
    start: startScript(ctx).text,
    stop: stopScript(ctx).text,
    cleanup: cleanupScript(ctx).text,
  }),
};
