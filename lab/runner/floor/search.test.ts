/**
 * The floor search with stand-in cells of a known floor: it brackets the floor to the resolution,
 * retries a noisy failure and not an OOM kill, and a resumed search reuses every probe recorded.
 * Driven through the sweep's own loop (runCells), so each probe is a recorded cell.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { FloorSettings } from "../../../core/config/profile";
import type { Cell } from "../../../core/matrix";
import { readCells, soundCells } from "../../../core/results/read";
import type { CellResult } from "../../../core/results/schema";
import { expandMatrix } from "../../matrix";
import { createRunDir } from "../../results/store";
import { standInProbe } from "../../testing/floorStandIn";
import { revisionWithQuick } from "../../testing/labRuns";
import { SweepEstimate } from "../estimate";
import { CellInterrupted } from "../runCell";
import { runCells } from "../runCells";
import { failureEvidence, floorBrackets, floorSchedule, midpoint, probeCell, probeVerdict } from "./search";

const settings: FloorSettings = { lowestMB: 16, resolutionMB: 4, retries: 1 };
const revision = revisionWithQuick((quick) => ({
  runtimes: ["go", "node"],
  platforms: ["native"],
  workloads: ["io"],
  resources: [{ cpus: 1, memoryMB: 256 }],
  ttr: { launches: 0, timeoutS: 5 },
  load: { ...quick.load, warmupS: 0, durationS: 1 },
  repetitions: 1,
  knobVariants: [],
  floor: settings,
}));
const scenarios = expandMatrix(revision.profiles.quick as never, revision.id);
const root = mkdtempSync(join(tmpdir(), "floor-search-"));

const standIn = standInProbe;

let runs = 0;
async function sweep(runOne: (cell: Cell) => Promise<CellResult>, earlier: CellResult[] = [], runDir?: string) {
  const dir = runDir ?? createRunDir(root, `floor-${++runs}`);
  const controller = new AbortController();
  const outcome = await runCells({
    runId: "floor",
    runDir: dir,
    resultsRoot: root,
    schedule: floorSchedule(scenarios, settings, earlier),
    availability: new Map([["native", { ok: true, facts: {} }]]),
    runOne: (cell) =>
      runOne(cell).catch((error) => {
        controller.abort();
        throw error;
      }),
    allowEmulation: false,
    estimate: new SweepEstimate({ declared: () => 1 }),
    log: () => {},
    signal: controller.signal,
  });
  return { outcome, dir };
}

describe("the memory floor search", () => {
  it("brackets a known floor to the resolution, for each scenario, each probe a recorded cell", async () => {
    const floors: Record<string, number> = { go: 23, node: 97 };
    const { outcome, dir } = await sweep(async (cell) => standIn(cell, floors[cell.spec.runtime] ?? 0));
    const brackets = floorBrackets(scenarios, settings, soundCells(readCells(dir)));
    assert.equal(brackets.length, 2);
    for (const b of brackets) {
      const floor = floors[b.scenario.spec.runtime] ?? 0;
      assert.equal(b.state, "done");
      assert.ok(b.servesMB !== null && b.failsMB !== null);
      assert.ok(b.servesMB >= floor && b.failsMB < floor, `${b.failsMB} < ${floor} <= ${b.servesMB}`);
      assert.ok(b.servesMB - b.failsMB <= settings.resolutionMB);
      assert.equal(b.failure?.status, "oom");
      assert.equal(b.failure?.evidence, "OOM kill");
      assert.equal(b.serving?.spec.memoryMB, b.servesMB);
    }
    // Every probe is on disk, once; a bisection of 240 MB to 4 MB is the start and about log2(60) probes.
    assert.equal(
      outcome.results.length,
      brackets.reduce((n, b) => n + b.probes.length, 0),
    );
    assert.ok(outcome.results.length <= 2 * 8, `${outcome.results.length} probes`);
    assert.equal(new Set(outcome.results.map((r) => r.id)).size, outcome.results.length);
  });

  it("a floor at or under the lowest level: serves there, no failure found; a starting level that fails: no serving level", async () => {
    const { dir } = await sweep(async (cell) => standIn(cell, cell.spec.runtime === "go" ? 8 : 1000));
    const [go, node] = floorBrackets(scenarios, settings, soundCells(readCells(dir)));
    assert.deepEqual([go?.servesMB, go?.failsMB], [16, null]);
    assert.deepEqual([node?.servesMB, node?.failsMB, node?.probes.length], [null, 256, 1]);
  });

  it("a failure with no memory evidence is probed again; a retry that serves keeps the level serving", async () => {
    const flaky = new Set<string>();
    const { dir } = await sweep(async (cell) => {
      // The first try at each level at or above 64 MB times out once (a busy host), then serves.
      if (cell.spec.memoryMB >= 64 && cell.spec.repetition === 1 && !flaky.has(cell.name)) {
        flaky.add(cell.name);
        return standIn(cell, 64, { status: "timeout", reason: "the instance did not answer during the load" });
      }
      return standIn(cell, 64);
    });
    const brackets = floorBrackets(scenarios, settings, soundCells(readCells(dir)));
    for (const b of brackets) {
      assert.ok(b.servesMB !== null && b.failsMB !== null && b.servesMB >= 64 && b.failsMB < 64);
      // The OOM kills below the floor were not retried.
      const failing = b.probes.filter((p) => p.spec.memoryMB === b.failsMB);
      assert.equal(failing.length, 1);
    }
  });

  it("resume after an interruption reuses every probe already recorded, and finds the same brackets", async () => {
    const floor = 61;
    const ranFirst: string[] = [];
    let left = 4;
    const first = await sweep(async (cell) => {
      if (left-- === 0) throw new CellInterrupted("stopped");
      ranFirst.push(cell.id);
      return standIn(cell, floor);
    });
    assert.equal(first.outcome.results.length, 4);
    const earlier = soundCells(readCells(first.dir));
    const ranAgain: string[] = [];
    await sweep(
      async (cell) => {
        ranAgain.push(cell.id);
        return standIn(cell, floor);
      },
      earlier,
      first.dir,
    );
    assert.deepEqual(
      ranAgain.filter((id) => ranFirst.includes(id)),
      [],
    );
    const all = soundCells(readCells(first.dir));
    const fresh = await sweep(async (cell) => standIn(cell, floor));
    const brackets = floorBrackets(scenarios, settings, all).map((b) => [b.servesMB, b.failsMB]);
    const direct = floorBrackets(scenarios, settings, soundCells(readCells(fresh.dir))).map((b) => [
      b.servesMB,
      b.failsMB,
    ]);
    assert.deepEqual(brackets, direct);
    assert.equal(all.length, fresh.outcome.results.length);
  });

  it("a probe that measured nothing stops its search undecided, without looping", async () => {
    const { outcome } = await sweep(async (cell) =>
      standIn(cell, 50, { status: "lab-error", reason: "the load generator failed" }),
    );
    assert.equal(outcome.results.length, 2); // one per scenario
    const brackets = floorBrackets(scenarios, settings, outcome.results);
    assert.ok(brackets.every((b) => b.state === "undecided" && /lab-error/.test(b.undecided ?? "")));
  });
});

describe("probes and their evidence", () => {
  const [scenario] = scenarios as [Cell];
  it("a probe is the scenario's cell at another level and try: its own id and a readable name", () => {
    const probe = probeCell(scenario, 132, 2);
    assert.equal(probe.name, scenario.name.replace("-256mb-", "-132mb-").replace(/-r1$/, "-r2"));
    assert.notEqual(probe.id, scenario.id);
    assert.equal(probeCell(scenario, 256, 1).id, scenario.id);
  });

  it("the midpoint stays on the grid and strictly between", () => {
    assert.equal(midpoint(16, 256, settings), 136);
    assert.equal(midpoint(16, 25, settings), 20);
    assert.equal(midpoint(20, 25, settings), 24);
  });

  it("served means ok with a load and no failed request", () => {
    const ok = standIn(scenario, 0);
    assert.equal(probeVerdict(ok).kind, "serves");
    const failedRequests = { ...ok, load: { requests: 10, failedRequests: 1 } as CellResult["load"] };
    assert.deepEqual(probeVerdict(failedRequests), { kind: "fails", memory: false, evidence: "1 failed request(s)" });
  });

  it("names the evidence in the failure's own words", () => {
    const failed = (status: CellResult["status"], reason: string) => ({
      ...standIn(scenario, 1000),
      status,
      reason,
      exit: { exitCode: 1, signal: null, oomKilled: false },
    });
    assert.deepEqual(
      failureEvidence(failed("crashed", "the instance died during the load (exit 1); log: page fill failed")),
      {
        memory: true,
        evidence: "Nanos page fill failed (crashed)",
      },
    );
    assert.equal(
      failureEvidence(
        failed("crashed", "log: FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"),
      ).evidence,
      "V8 heap out of memory (crashed)",
    );
    assert.equal(failureEvidence(failed("failed-start", "the launch failed: exit 125")).evidence, "boot failure");
    assert.equal(failureEvidence(failed("timeout", "the instance did not answer")).memory, false);
  });
});
