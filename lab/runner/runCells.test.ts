/**
 * The sweep's run-cells phase with stand-in cells: the order is its schedule's (the seam the
 * shuffled order, adaptive repetitions and the floor search plug into), each result is recorded
 * once, and a skipped platform, an interruption, a platform that went away and a full disk each
 * end as they should. No instance starts: `runOne` is the test's.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Cell } from "../../core/matrix";
import { readCells } from "../../core/results/read";
import type { CellResult } from "../../core/results/schema";
import { binaryRecipe } from "../../workloads/artifacts/recipes";
import { expandMatrix } from "../matrix";
import { registerPlatform, unregisterPlatform } from "../platforms/registry";
import type { Availability, Platform } from "../platforms/types";
import { createRunDir } from "../results/store";
import { revisionWithQuick } from "../testing/labRuns";
import { SweepEstimate } from "./estimate";
import { CellInterrupted, skippedCell } from "./runCell";
import { type CellsPhase, runCells } from "./runCells";
import { type CellSchedule, inOrder } from "./schedule";

const root = mkdtempSync(join(tmpdir(), "run-cells-"));
let checkSays: Availability = { ok: true, facts: {} };

/** A platform that starts nothing: only its availability check is asked (after a failed cell). */
const standIn: Platform = {
  name: "run-cells-stand-in",
  description: "a platform of this test: nothing starts",
  class: { kernel: "linux", isolation: "none" },
  knobs: {},
  sharedKnobs: [],
  artifact: binaryRecipe,
  ports: "free",
  startCostS: 0,
  probeDuringStart: true,
  checkAvailability: async () => checkSays,
  scripts: () => {
    throw new Error("no instance starts in this test");
  },
};
registerPlatform(standIn);
after(() => unregisterPlatform(standIn.name));

const revision = revisionWithQuick((quick) => ({
  runtimes: ["go", "node"],
  platforms: ["native", standIn.name],
  workloads: ["io"],
  resources: [{ cpus: 1, memoryMB: 128 }],
  ttr: { launches: 0, timeoutS: 5 },
  load: { ...quick.load, warmupS: 0, durationS: 1 },
  repetitions: 2,
  knobVariants: [],
}));
const cells = expandMatrix(revision.profiles.quick as never, revision.id);

const ok = (cell: Cell, status: CellResult["status"] = "ok"): CellResult => ({
  ...skippedCell(cell, ""),
  status,
  reason: status === "ok" ? null : `stand-in ${status}`,
  wallS: 2,
});

let runs = 0;
function phase(overrides: Partial<CellsPhase> & Pick<CellsPhase, "runOne">): CellsPhase & { lines: string[] } {
  const runId = `run-cells-${++runs}`;
  const lines: string[] = [];
  return {
    runId,
    runDir: createRunDir(root, runId),
    resultsRoot: root,
    schedule: inOrder(cells),
    availability: new Map([
      ["native", { ok: true, facts: {} }],
      [standIn.name, { ok: true, facts: {} }],
    ]),
    allowEmulation: false,
    estimate: new SweepEstimate({ declared: () => 1 }),
    log: (line) => lines.push(line),
    signal: new AbortController().signal,
    lines,
    ...overrides,
  };
}

const recorded = (runDir: string) => readCells(runDir).cells.map((c) => c.cell.name);

describe("the schedule", () => {
  it("in order: each cell once, then none; pending is what is left", () => {
    const schedule = inOrder(cells);
    const ran: CellResult[] = [];
    for (let cell = schedule.next(ran); cell !== null; cell = schedule.next(ran)) {
      assert.equal(schedule.pending(ran)[0]?.id, cell.id);
      ran.push(ok(cell));
    }
    assert.deepEqual(
      ran.map((r) => r.id),
      cells.map((c) => c.id),
    );
    assert.deepEqual(schedule.pending(ran), []);
    assert.equal(inOrder([]).next([]), null);
  });
});

describe("running the cells", () => {
  it("runs what the schedule hands out, in its order, and records each result once", async () => {
    const order: string[] = [];
    const p = phase({
      runOne: async (cell) => {
        order.push(cell.name);
        return ok(cell);
      },
      pair: 2,
    });
    const outcome = await runCells(p);
    assert.deepEqual(
      order,
      cells.map((c) => c.name),
    );
    assert.equal(outcome.ran, cells.length);
    assert.deepEqual(recorded(p.runDir).sort(), cells.map((c) => c.name).sort());
    assert.ok(outcome.results.every((r) => r.pair === 2));
    assert.match(p.lines[0] ?? "", new RegExp(`^\\[1/${cells.length}\\] ${cells[0]?.name}: ok .* ETA `));
  });

  it("a schedule that decides from the results so far: a cell added after a failure runs in the same sweep", async () => {
    const [first, second] = cells as [Cell, Cell];
    // What an adaptive schedule (another repetition) or a floor search (the next probe) does: the
    // next cell depends on the last result.
    const adaptive: CellSchedule = {
      next: (ran) => (ran.length === 0 ? first : ran.length === 1 && ran[0]?.status === "oom" ? second : null),
      pending: (ran) => (ran.length === 0 ? [first] : []),
    };
    const p = phase({ schedule: adaptive, runOne: async (cell) => ok(cell, cell.id === first.id ? "oom" : "ok") });
    const outcome = await runCells(p);
    assert.deepEqual(
      outcome.results.map((r) => [r.name, r.status]),
      [
        [first.name, "oom"],
        [second.name, "ok"],
      ],
    );
  });

  it("a platform that cannot run here: its cells are recorded as skipped with its reason, and run nothing", async () => {
    const p = phase({
      availability: new Map([
        ["native", { ok: true, facts: {} }],
        [standIn.name, { ok: false, reason: "stand-in: not here", facts: {} }],
      ]),
      runOne: async (cell) => {
        assert.equal(cell.spec.platform, "native");
        return ok(cell);
      },
    });
    const outcome = await runCells(p);
    const skipped = outcome.results.filter((r) => r.status === "skipped");
    assert.equal(skipped.length, cells.length / 2);
    assert.ok(skipped.every((r) => r.spec.platform === standIn.name && r.reason === "stand-in: not here"));
    assert.equal(outcome.ran, cells.length / 2);
  });

  it("an interruption leaves the current cell unrecorded and stops", async () => {
    const controller = new AbortController();
    const p = phase({
      signal: controller.signal,
      runOne: async (cell) => {
        if (cell.id === cells[2]?.id) {
          controller.abort();
          throw new CellInterrupted("stopped");
        }
        return ok(cell);
      },
    });
    const outcome = await runCells(p);
    assert.equal(outcome.results.length, 2);
    assert.equal(existsSync(join(p.runDir, "cells", `${cells[2]?.id}.json`)), false);
  });

  it("a platform that failed its check after a failed cell: that cell is a lab-error, its later cells are skipped", async () => {
    checkSays = { ok: false, reason: "stand-in: engine stopped", facts: {} };
    try {
      const p = phase({
        runOne: async (cell) => ok(cell, cell.spec.platform === standIn.name ? "failed-start" : "ok"),
      });
      const outcome = await runCells(p);
      const standIns = outcome.results.filter((r) => r.spec.platform === standIn.name);
      assert.equal(standIns[0]?.status, "lab-error");
      assert.match(standIns[0]?.reason ?? "", /then run-cells-stand-in failed its check: stand-in: engine stopped/);
      assert.ok(standIns.slice(1).every((r) => r.status === "skipped" && /found after/.test(r.reason ?? "")));
      assert.match(p.lines.join("\n"), /went away during the sweep/);
    } finally {
      checkSays = { ok: true, facts: {} };
    }
  });

  it("a full results disk stops the sweep with what is kept and how to finish", async () => {
    const p = phase({
      runOne: async (cell) => {
        if (cell.id === cells[1]?.id)
          throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
        return ok(cell);
      },
    });
    const outcome = await runCells(p);
    assert.equal(outcome.results.length, 1);
    assert.match(outcome.stopped ?? "", new RegExp(`finish with: npm run lab -- --resume ${p.runId}$`));
    assert.deepEqual(
      readdirSync(join(p.runDir, "cells")).filter((f) => f.endsWith(".json")),
      [`${cells[0]?.id}.json`],
    );
  });
});
