import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadPaperReference } from "../core/paper/reference";
import { dockerPlatform } from "../lab/platforms/docker";
import { registerPlatform, unregisterPlatform } from "../lab/platforms/registry";
import type { Platform } from "../lab/platforms/types";
import { analyze } from "./analyze";
import { writeKnownEffectRun } from "./fixtures/knownEffects";
import { readRuns } from "./read";

const root = mkdtempSync(join(tmpdir(), "analysis-analogues-"));
const reference = loadPaperReference();

/** A platform known only to this test: a kernel of its own, as a sandboxed process (gVisor's class). */
const ownKernelSandbox: Platform = {
  ...dockerPlatform,
  name: "test-own-kernel-sandbox",
  description: "test only: a process-isolated platform with a kernel of its own",
  class: { kernel: "own", isolation: "process" },
  knobs: {},
};

before(() => registerPlatform(ownKernelSandbox));
after(() => unregisterPlatform(ownKernelSandbox.name));

/** Node io at 256 and 64 MB; the own-kernel sandbox loses `drop` of its throughput at 64 MB, docker none. */
function nodeRun(runId: string, drop: number, platforms = ["docker", ownKernelSandbox.name]) {
  return writeKnownEffectRun(join(root, "results"), {
    runId,
    seed: 21,
    noise: 0.01,
    runtimes: ["node"],
    platforms,
    resources: [
      { cpus: 1, memoryMB: 256 },
      { cpus: 1, memoryMB: 64 },
    ],
    knobVariants: [{ nodeHeap: "fit" }],
    throughput: (spec) =>
      spec.platform === ownKernelSandbox.name && spec.memoryMB === 64 ? 5_000 * (1 - drop) : 5_000,
  });
}

const verdict = (dir: string, id: string) => {
  const a = analyze(readRuns([dir]), reference);
  const found = a.analogues.find((x) => x.id === id);
  assert.ok(found, id);
  return { analogue: found, analysis: a };
};

describe("local analogues over platform classes", () => {
  it("a kernel of its own that degrades Node where a Linux container does not: yes, with the ratios", () => {
    const { analogue } = verdict(nodeRun("own-degrades", 0.4), "local-own-kernel-node-memory-process");
    assert.equal(analogue.verdict, "yes");
    assert.match(analogue.question, /kernel own, isolation process.*kernel linux, isolation process/);
    const own = analogue.evidence.find((l) => l.includes(ownKernelSandbox.name));
    assert.match(own ?? "", /throughput at 64 MB \/ at 256 MB = 0\.6\d× \[0\.\d\d, 0\.\d\d\]/);
    assert.match(analogue.evidence.find((l) => l.includes("docker")) ?? "", /= 1\.0\d× \[|= 0\.9\d× \[/);
  });

  it("no degradation on either class: no", () => {
    const { analogue } = verdict(nodeRun("own-flat", 0), "local-own-kernel-node-memory-process");
    assert.equal(analogue.verdict, "no");
  });

  it("without a platform of the class: not measured, and the VM pair is not measured either", () => {
    const { analogue, analysis } = verdict(
      nodeRun("docker-only", 0, ["docker"]),
      "local-own-kernel-node-memory-process",
    );
    assert.equal(analogue.verdict, "not measured");
    assert.match(analogue.note, /no platform of class kernel own, isolation process ran/);
    assert.equal(analysis.analogues.find((x) => x.id === "local-own-kernel-node-memory-vm")?.verdict, "not measured");
  });

  it("keeps the paper's Nanos claims 'not measured here' when no platform of that name ran", () => {
    const { analysis } = verdict(nodeRun("no-nanos", 0.4), "local-own-kernel-node-memory-process");
    const nanosClaims = analysis.claims.filter((c) => c.missing.some((m) => m.includes("nanos")));
    assert.ok(nanosClaims.length > 0);
    for (const c of nanosClaims) {
      assert.equal(c.verdict, "not measured");
      assert.match(c.note, /^not measured here: no platform named nanos ran/);
    }
  });
});
