import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import type { Runtime } from "../../core/model";
import { APP_PORT } from "../../core/model";
import { freePort } from "../ports";
import { appEnvironment, knobsFor } from "./knobs";
import type { InstanceContext, Platform, Resources } from "./types";

/** The first `cpus` cores as a taskset/cpuset list ("0", "0-7"), capped at the host's cores. */
export function cpuListFor(cpus: number, hostCores = availableParallelism()): string {
  const n = Math.max(1, Math.min(cpus, hostCores));
  return n === 1 ? "0" : `0-${n - 1}`;
}

/** A container/VM/cgroup name: lowercase, digits and dashes, unique enough for one host. */
export function instanceName(runId: string, label: string): string {
  const safe = `${runId}-${label}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
  return `edgelab-${safe}-${randomBytes(3).toString("hex")}`.slice(0, 63);
}

/** Whether `name` (an instanceName) belongs to run `runId`; a name cut at 63 characters matches on what is left. */
export function isInstanceOfRun(name: string, runId: string): boolean {
  const prefix = `edgelab-${runId.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}-`;
  return name.startsWith(prefix.slice(0, Math.min(prefix.length, name.length)));
}

export interface InstanceRequest {
  platform: Platform;
  runtime: Runtime;
  /** What the platform's recipe built: a path or an image tag. */
  artifact: string;
  workDir: string;
  /** Names the instance (with the run id) so leftovers can be told apart. */
  label: string;
  resources: Resources;
  /** Knob values by name; the platform's own and the shared ones it uses are taken, defaults filled in. */
  knobs: Readonly<Record<string, string>>;
  runId: string;
  bindAddress: string;
  /** A VM under TCG (decided once by the platform's availability check). */
  emulated: boolean;
  allowEmulation: boolean;
  /** Default: a free port, or the app's own where the platform forwards the same number. */
  hostPort?: number;
}

/** The one way an instance's context is made: by the cell runner, the trial start, tests and benchmarks. */
export async function instanceContext(request: InstanceRequest): Promise<InstanceContext> {
  const { platform, runtime, resources } = request;
  const knobs = knobsFor(platform, request.knobs, runtime);
  return {
    runtime,
    resources,
    knobs,
    env: appEnvironment(runtime, resources, knobs),
    artifact: request.artifact,
    workDir: request.workDir,
    instanceName: instanceName(request.runId, request.label),
    hostPort: request.hostPort ?? (platform.ports === "app" ? APP_PORT : await freePort()),
    bindAddress: request.bindAddress,
    runId: request.runId,
    cpuList: cpuListFor(resources.cpus),
    allowEmulation: request.allowEmulation,
    ...(platform.class.isolation === "vm"
      ? { accelerator: request.emulated ? ("tcg" as const) : ("kvm" as const) }
      : {}),
  };
}

export interface AdHocInstance {
  platform: Platform;
  runtime: Runtime;
  artifact: string;
  hostPort: number;
  workDir: string;
  resources?: Resources;
  knobs?: Readonly<Record<string, string>>;
  runId?: string;
}

/** An instance with the lab's defaults (all the host's CPUs, 1 GB), for tests and benchmarks outside a sweep. */
export function adHocContext(spec: AdHocInstance): Promise<InstanceContext> {
  return instanceContext({
    ...spec,
    label: spec.runtime,
    resources: spec.resources ?? { cpus: availableParallelism(), memoryMB: 1024 },
    knobs: spec.knobs ?? {},
    runId: spec.runId ?? "adhoc",
    bindAddress: "127.0.0.1",
    emulated: false,
    allowEmulation: false,
  });
}
