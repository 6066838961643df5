import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import type { Runtime } from "../model";
import type { InstanceArtifacts, InstanceContext, Knobs, Resources } from "./types";

/** The paper's settings: CFS quota, Docker port publishing, QEMU user-mode networking. */
export const PAPER_KNOBS: Knobs = {
  cpuMode: "quota",
  dockerNetwork: "nat",
  nanosNetwork: "user",
  gvisorNetwork: "netstack",
  gvisorPlatform: "systrap",
};

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

export interface AdHocInstance {
  runtime: Runtime;
  artifacts: Partial<InstanceArtifacts>;
  hostPort: number;
  workDir: string;
  resources?: Resources;
  knobs?: Partial<Knobs>;
  runId?: string;
}

/** An InstanceContext with the lab's defaults, for tests and benchmarks outside a sweep. */
export function adHocContext(spec: AdHocInstance): InstanceContext {
  const resources = spec.resources ?? { cpus: availableParallelism(), memoryMB: 1024 };
  const runId = spec.runId ?? "adhoc";
  return {
    runtime: spec.runtime,
    resources,
    knobs: { ...PAPER_KNOBS, ...spec.knobs },
    artifacts: { command: [], dockerImage: "", nanosImage: "", ...spec.artifacts },
    workDir: spec.workDir,
    instanceName: instanceName(runId, spec.runtime),
    hostPort: spec.hostPort,
    bindAddress: "127.0.0.1",
    runId,
    cpuList: cpuListFor(resources.cpus),
    allowEmulation: false,
  };
}
