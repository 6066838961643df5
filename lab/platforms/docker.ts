import { run } from "../../core/exec";
import { APP_PORT } from "../../core/model";
import { type Shell, sh, shellCode } from "../../core/shell";
import { dockerOfflineRecipe } from "../../workloads/artifacts/recipes";
import { LAUNCH_STAMP_LINE } from "../clock";
import { envAssignments, scriptHead, writeLimitsJsonLine } from "./shell";
import type { Availability, InstanceContext, InstanceScripts, Platform } from "./types";

/** Docker: `nat` publishes the port through docker-proxy/NAT as the paper; `host` shares the host's stack. */
export const DOCKER_NETWORKS = ["nat", "host"] as const;

/** Label on every container the lab starts, so leftovers of any run can be found. */
export const RUN_LABEL = "edgelab.run";

/** How a container reaches the network: published through docker-proxy/NAT, or the host's stack. */
export type ContainerNetwork = "nat" | "host";

export interface ContainerRunOptions {
  network: ContainerNetwork;
  /** A Docker runtime other than the default (e.g. a sandboxing runtime registered with Docker). */
  runtime?: string;
  /** Extra environment for the app (after PORT in host mode). */
  env?: Readonly<Record<string, string>>;
  /** Arguments that go right before the image (e.g. --cidfile). */
  extra?: readonly string[];
}

/**
 * `docker run` arguments for one container instance, shared by every platform built on Docker
 * so their CPU and memory knobs are the very same. CPU: `--cpus` is a CFS quota
 * (the paper's setting), `--cpuset-cpus` pins cores. Memory: --memory-swap equal to --memory,
 * because with --memory alone a container may swap and the memory pressure under test would leak
 * into swap. Network: `nat` publishes through docker-proxy/NAT as the paper did; `host` shares the
 * host's stack.
 */
export function containerRunArgs(ctx: InstanceContext, image: string, options: ContainerRunOptions): string[] {
  const { cpus, memoryMB } = ctx.resources;
  const args = ["run", "--detach", "--name", ctx.instanceName, "--label", `${RUN_LABEL}=${ctx.runId}`];
  if (options.runtime) args.push(`--runtime=${options.runtime}`);
  args.push(ctx.knobs.cpuMode === "pinned" ? `--cpuset-cpus=${ctx.cpuList}` : `--cpus=${cpus}`);
  args.push(`--memory=${memoryMB}m`, `--memory-swap=${memoryMB}m`);
  // The app's environment from the runtime knobs, then what the platform adds (e.g. a leftover marker).
  for (const assignment of envAssignments({ ...ctx.env, ...options.env })) args.push("--env", assignment);
  if (options.network === "host") args.push("--network=host", "--env", `PORT=${ctx.hostPort}`);
  else args.push("--publish", `${ctx.bindAddress}:${ctx.hostPort}:${APP_PORT}`);
  args.push(...(options.extra ?? []), image);
  return args;
}

/** `docker run` arguments for one docker (runc) instance. */
export function dockerRunArgs(ctx: InstanceContext): string[] {
  return containerRunArgs(ctx, ctx.artifact, { network: ctx.knobs.dockerNetwork === "host" ? "host" : "nat" });
}

/** How the CPU limit of a container instance is applied, for limits.json. */
export function containerCpuHow(ctx: InstanceContext): string {
  return ctx.knobs.cpuMode === "pinned"
    ? `--cpuset-cpus=${ctx.cpuList} (pinned cores)`
    : `--cpus=${ctx.resources.cpus} (CFS quota)`;
}

function prepareScript(ctx: InstanceContext): Shell {
  const name = ctx.instanceName;
  const { cpus, memoryMB } = ctx.resources;
  const network = ctx.knobs.dockerNetwork === "host" ? "host network" : "published port through docker-proxy/NAT";
  return sh`${scriptHead(`docker prepare: ${ctx.runtime}, ${cpus} CPU, ${memoryMB} MB`, ctx.workDir)}
rm -f instance.pid exit.json limits.json
# A leftover of the same name goes, beside the question to the daemon (independent; each costs a CLI round trip).
docker rm -f ${name} >/dev/null 2>&1 &
# The daemon says whether it can enforce memory and swap limits (cgroup memory / swap accounting): one call for both.
read -r mem_ok swap_ok < <(docker info --format '{{.MemoryLimit}} {{.SwapLimit}}')
wait
mem_how=${`--memory=${memoryMB}m --memory-swap=${memoryMB}m`}
if [ "$swap_ok" != "true" ]; then mem_how="$mem_how (no swap accounting: the container may swap)"; fi
${writeLimitsJsonLine({
  cpus,
  cpuEnforced: "true",
  cpuHow: containerCpuHow(ctx),
  memoryMB,
  memoryEnforced: shellCode('"$mem_ok"'),
  memoryHow: shellCode('"$mem_how"'),
  network,
})}`;
}

function startScript(ctx: InstanceContext): Shell {
  const name = ctx.instanceName;
  return sh`${scriptHead(`docker start: ${ctx.runtime}, ${ctx.resources.cpus} CPU, ${ctx.resources.memoryMB} MB`, ctx.workDir)}
${shellCode(LAUNCH_STAMP_LINE)}
docker ${dockerRunArgs(ctx)} > container.id
docker inspect --format '{{.State.Pid}}' ${name} > instance.pid
`;
}

function stopScript(ctx: InstanceContext): Shell {
  const name = ctx.instanceName;
  return sh`${scriptHead(`docker stop: ${ctx.instanceName}`, ctx.workDir)}
docker stop --time 5 ${name} >/dev/null 2>&1 || true
# The stopped container's log and state are read side by side (independent CLI round trips), then it goes.
docker logs ${name} > app.log 2>&1 &
state=$(docker inspect --format '{{.State.ExitCode}} {{.State.OOMKilled}}' ${name} 2>/dev/null || true)
wait
docker rm -f ${name} >/dev/null 2>&1 || true
if [ -n "$state" ]; then
  printf '{"exitCode":%s,"signal":null,"oomKilled":%s}\\n' "\${state% *}" "\${state#* }" > exit.json
else
  printf '{"exitCode":null,"signal":null,"oomKilled":false}\\n' > exit.json
fi
`;
}

function cleanupScript(ctx: InstanceContext): Shell {
  return sh`${scriptHead(`docker cleanup: ${ctx.instanceName}`, ctx.workDir)}
docker rm -f ${ctx.instanceName} >/dev/null 2>&1 || true
exit 0
`;
}

export const dockerPlatform: Platform = {
  name: "docker",
  description: "a container under runc: namespaces and cgroups on the host's Linux kernel",
  class: { kernel: "linux", isolation: "process" },
  knobs: {
    dockerNetwork: {
      values: DOCKER_NETWORKS,
      default: "nat",
      description: "nat: the port published through docker-proxy/NAT, as the paper; host: the host's network stack",
    },
  },
  sharedKnobs: ["cpuMode"],
  artifact: dockerOfflineRecipe,
  ports: "free",
  startCostS: 1,
  probeDuringStart: false,
  host: { dockerEngine: true },
  async checkAvailability(): Promise<Availability> {
    try {
      const { stdout } = await run("docker", ["version", "--format", "{{.Server.Version}}"], { timeoutMs: 20_000 });
      return { ok: true, facts: { dockerServerVersion: stdout.trim() } };
    } catch (error) {
      const why = /not installed/.test(String(error)) ? "docker not installed" : "the Docker engine does not answer";
      return { ok: false, reason: `docker: ${why}`, facts: {} };
    }
  },
  scripts: (ctx): InstanceScripts => ({
    prepare: prepareScript(ctx).text,
    start: startScript(ctx).text,
    stop: stopScript(ctx).text,
    cleanup: cleanupScript(ctx).text,
  }),
};

/** Containers of any lab run still present (running or not). */
export async function labContainers(): Promise<string[]> {
  const { stdout } = await run("docker", ["ps", "-a", "--filter", `label=${RUN_LABEL}`, "--format", "{{.Names}}"]);
  return stdout.split("\n").filter((line) => line.trim() !== "");
}
