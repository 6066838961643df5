/** The two apps of the paper: an AOT-compiled (Go) and a JIT (Node.js) runtime. */
export const RUNTIMES = ["go", "node"] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** The paper's two endpoints. */
export const WORKLOADS = ["io", "compute"] as const;
export type Workload = (typeof WORKLOADS)[number];

/** Port every app listens on inside its container or VM. */
export const APP_PORT = 8080;
