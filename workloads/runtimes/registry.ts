/**
 * The runtimes the lab knows, in the order reports list them. Tests may add one of their own
 * (`registerRuntime`) and run it through the matrix, the runner and the report like the others.
 */
import { MODEL_NAME, type Runtime } from "../../core/model";
import { goRuntime } from "../go/runtime";
import { nodeRuntime } from "../node/runtime";
import type { RuntimeDescriptor } from "./types";

const registry = new Map<Runtime, RuntimeDescriptor>();

export function registerRuntime(runtime: RuntimeDescriptor): void {
  if (!MODEL_NAME.test(runtime.name)) {
    throw new Error(`runtime name ${JSON.stringify(runtime.name)}: use lowercase letters and digits`);
  }
  if (registry.has(runtime.name)) throw new Error(`runtime ${runtime.name} is registered twice`);
  for (const knob of Object.keys(runtime.knobs)) {
    const owner = [...registry.values()].find((r) => Object.hasOwn(r.knobs, knob));
    if (owner) throw new Error(`knob ${knob} is declared by both ${owner.name} and ${runtime.name}`);
  }
  registry.set(runtime.name, runtime);
}

for (const runtime of [goRuntime, nodeRuntime]) registerRuntime(runtime);

export function unregisterRuntime(name: Runtime): void {
  registry.delete(name);
}

export function runtimeNames(): Runtime[] {
  return [...registry.keys()];
}

export function allRuntimes(): RuntimeDescriptor[] {
  return [...registry.values()];
}

export function isRuntime(name: string): boolean {
  return registry.has(name);
}

/** The runtime's descriptor; a name the registry lacks is a named error, never another runtime's branch. */
export function getRuntime(name: string): RuntimeDescriptor {
  const runtime = registry.get(name);
  if (!runtime) throw new Error(`unknown runtime ${JSON.stringify(name)}: use one of ${runtimeNames().join(", ")}`);
  return runtime;
}
