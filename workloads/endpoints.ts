/**
 * The workloads: the endpoints every app serves and the load generators hit, one descriptor each.
 * This is the one list: profiles, the command line, the matrix, the ceilings, the checks before a
 * load and the report all take their workloads from here. Adding one is a descriptor here (or in
 * a file of its own, registered) and the endpoint in each app.
 */
import { MODEL_NAME, type Workload } from "../core/model";
import { referenceDigest } from "./reference";

/** GET /io's body. */
export const IO_BODY = "ok\n";
/** Must match the apps' built-in GET /compute payload. */
export const BUILTIN_PAYLOAD = Buffer.from("unikernels-vs-containers:compute");

export interface WorkloadDescriptor {
  name: Workload;
  description: string;
  /** What GET /<name> must answer, checked before an instance is loaded: a problem, or null. */
  check(reply: { status: number; body: string }): string | null;
  /**
   * How the paper's wrk script sent it, where not a plain GET: the same work as the other
   * generators' GET, the way the paper measured it.
   */
  wrkRequest?: { method: string; body: string };
}

const io: WorkloadDescriptor = {
  name: "io",
  description: "a fixed short reply: the cost of the network path and the HTTP stack",
  check: (reply) =>
    reply.status === 200 && reply.body === IO_BODY
      ? null
      : `status ${reply.status}, body ${JSON.stringify(reply.body)}`,
};

const compute: WorkloadDescriptor = {
  name: "compute",
  description: "a SHA-256 chain over a payload: CPU work per request",
  check: (reply) =>
    reply.status === 200 && reply.body === `${referenceDigest(BUILTIN_PAYLOAD)}\n`
      ? null
      : `wrong digest or status ${reply.status}`,
  // The apps hash a POST body exactly as GET /compute hashes its built-in one.
  wrkRequest: { method: "POST", body: BUILTIN_PAYLOAD.toString() },
};

const registry = new Map<Workload, WorkloadDescriptor>();

/** Add a workload (tests add their own); its name must be new and fit in a cell name. */
export function registerWorkload(workload: WorkloadDescriptor): void {
  if (!MODEL_NAME.test(workload.name) || workload.name === "startup") {
    throw new Error(`workload name ${JSON.stringify(workload.name)}: use lowercase letters and digits, not startup`);
  }
  if (registry.has(workload.name)) throw new Error(`workload ${workload.name} is registered twice`);
  registry.set(workload.name, workload);
}

for (const workload of [io, compute]) registerWorkload(workload);

export function unregisterWorkload(name: Workload): void {
  registry.delete(name);
}

/** Every workload, in the order reports list them. */
export function workloadNames(): Workload[] {
  return [...registry.keys()];
}

export function isWorkload(name: string): boolean {
  return registry.has(name);
}

export function getWorkload(name: string): WorkloadDescriptor {
  const workload = registry.get(name);
  if (!workload) throw new Error(`unknown workload ${JSON.stringify(name)}: use one of ${workloadNames().join(", ")}`);
  return workload;
}
