/**
 * A runtime and a workload the lab does not ship, each a descriptor in this one file: what a
 * newcomer adding Rust or a new endpoint writes. The runtime `script` is app.js beside this file
 * on the Node that runs the lab, packed only as an executable (the native platform's form); the
 * workload `hello` is a fixed greeting.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sh } from "../../../core/shell";
import type { WorkloadDescriptor } from "../../../workloads/endpoints";
import type { RuntimeDescriptor } from "../../../workloads/runtimes/types";

const APP = join(__dirname, "app.js");

export const scriptRuntime: RuntimeDescriptor = {
  name: "script",
  description: "a test's own runtime: app.js on the lab's Node",
  pinnedVersion: () => process.version,
  knobs: {
    scriptGreeting: { values: ["plain", "loud"], default: "plain", description: "a test knob of the runtime's own" },
  },
  environment: (knobs): Record<string, string> => (knobs.scriptGreeting === "loud" ? { GREETING: "loud" } : {}),
  infoProblems: (info) => (info.gomaxprocs === null ? [] : [`/info gomaxprocs = ${info.gomaxprocs}, expected null`]),
  async executable(inputs) {
    const path = await inputs.once("script-executable", async () => {
      const dir = join(inputs.outDir, "bin");
      mkdirSync(dir, { recursive: true });
      const file = join(dir, "edgeapp-script");
      writeFileSync(
        file,
        sh`#!/bin/sh
exec ${process.execPath} ${APP}
`.text,
      );
      chmodSync(file, 0o755);
      return file;
    });
    return { path, builtWith: { node: process.version }, notes: ["a test's runtime: app.js on the lab's Node"] };
  },
};

export const helloWorkload: WorkloadDescriptor = {
  name: "hello",
  description: "a test's own workload: a fixed greeting",
  check: (reply) => (reply.status === 200 && reply.body === "hello\n" ? null : `status ${reply.status}`),
};
