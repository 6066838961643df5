import { z } from "zod";

/**
 * A runtime's or a workload's name: lowercase letters and digits, since it sits between the dashes
 * of cell names and in folders and URLs. Which runtimes and workloads exist is their registries' to
 * say (workloads/runtimes/registry.ts, workloads/endpoints.ts): the lab checks a profile against
 * them before a run, so a results folder written with a runtime this checkout lacks still reads.
 */
export const MODEL_NAME = /^[a-z][a-z0-9]*$/;

/** The app's runtime, e.g. go (AOT-compiled) or node (JIT), as the runtime registry names them. */
export type Runtime = string;

/** An endpoint the apps serve and the load generators hit, e.g. io or compute (the workload registry's). */
export type Workload = string;

export const RuntimeNameSchema = z.string().regex(MODEL_NAME, "expected a runtime name: lowercase letters and digits");
export const WorkloadNameSchema = z
  .string()
  .regex(MODEL_NAME, "expected a workload name: lowercase letters and digits");

/** Port every app listens on inside its container or VM. */
export const APP_PORT = 8080;
