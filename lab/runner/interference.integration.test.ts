/**
 * Interference measured on a real sweep: three short native Go cells (1 CPU, on core 0) in an
 * interleaved order; a busy loop pinned to core 0 with taskset runs through the second cell only.
 * That cell is flagged `disturbed` with its figure and the hog named; the scenario's statistics
 * leave it out; every cell records interference and steal; the order is the one its recorded
 * seed gives.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildScenarios } from "../../analysis/scenarios";
import { readManifest } from "../../core/results/read";
import { expandMatrix } from "../matrix";
import { revisionWithQuick } from "../testing/labRuns";
import { runLab } from "./runner";
import { interleavedOrder } from "./schedules/interleaved";

describe("interference on a real sweep", { timeout: 300_000 }, () => {
  it("flags the cell a CPU hog on the SUT's core overlapped, names it, and leaves it out of the statistics", async () => {
    const revision = revisionWithQuick((quick) => ({
      runtimes: ["go"],
      platforms: ["native"],
      workloads: ["compute"],
      resources: [{ cpus: 1, memoryMB: 256 }],
      repetitions: 3,
      order: "interleaved",
      ttr: { launches: 0, timeoutS: 15 },
      load: { ...quick.load, warmupS: 1, durationS: 3 },
      knobVariants: [],
    }));
    // Started by a shell that exits at once, so it is no descendant of this runner (which counts those as its own).
    let hogPid: number | undefined;
    const stopHog = () => {
      if (hogPid !== undefined) process.kill(hogPid, "SIGKILL");
      hogPid = undefined;
    };
    let hogWas: number | undefined;
    let recorded = 0;
    const lines: string[] = [];
    try {
      const outcome = await runLab({
        run: { kind: "new", revision, profileName: "quick", selection: {}, runId: "hog" },
        resultsRoot: mkdtempSync(join(tmpdir(), "interference-it-")),
        generatorPreference: "wrk",
        seed: 20261206,
        log: (line) => {
          lines.push(line);
          if (!/^\[\d+\/\d+\] /.test(line)) return;
          recorded++;
          // Synchronous, between cells: the hog runs through the second cell only.
          if (recorded === 1) {
            const started = spawnSync("sh", [
              "-c",
              "taskset -c 0 sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $!",
            ]);
            hogPid = Number(started.stdout.toString().trim());
            hogWas = hogPid;
          }
          if (recorded === 2) stopHog();
        },
      });
      const text = lines.join("\n");
      assert.equal(outcome.results.length, 3, text);
      for (const c of outcome.results) assert.equal(c.status, "ok", `${c.name}: ${c.reason}\n${text}`);
      for (const c of outcome.results) {
        const i = c.interference;
        assert.ok(i, `${c.name} records interference`);
        assert.ok(i.stealS >= 0 && i.stealShare >= 0 && i.windowS >= 3, JSON.stringify(i));
        assert.ok((c.phasesS?.interference ?? 1) < 0.5, `sampling took ${c.phasesS?.interference} s`);
      }
      const [, hit] = outcome.results;
      const hog = hogWas;
      assert.ok(hit?.flags.includes("disturbed"), JSON.stringify(hit?.interference));
      const seen = hit?.interference?.top.find((t) => t.pid === hog);
      assert.ok(seen && seen.cpuS > 0.5, `the hog is named: ${JSON.stringify(hit?.interference?.top)}`);
      assert.deepEqual(hit?.interference?.sutCores, [0]);
      assert.ok((hit?.interference?.foreignOnSutCoresS ?? 0) >= seen.cpuS, "its time counts on the SUT's core");
      for (const quiet of [outcome.results[0], outcome.results[2]]) {
        assert.ok(!quiet?.interference?.top.some((t) => t.pid === hog), `${quiet?.name} did not see the hog`);
      }
      // The statistics mark it and leave it out; on a machine others use, the other cells may be
      // disturbed too (by other processes, named in their figures): then all are used, marked flagged.
      const [scenario] = buildScenarios(outcome.results.map((cell) => ({ runId: "hog", file: "", cell })));
      assert.ok(scenario?.disturbed.some((c) => c.cell.id === hit?.id));
      if (outcome.results.some((c) => !c.flags.includes("disturbed"))) {
        assert.ok(!scenario?.used.some((c) => c.cell.id === hit?.id));
      } else assert.equal(scenario?.basis, "flagged");
      // The manifest records the seed; the seed gives the order the cells ran in.
      const manifest = readManifest(outcome.runDir);
      assert.equal(manifest.schedule?.seed, 20261206);
      assert.ok(manifest.schedule?.stops?.every((s) => s.rule === "fixed"));
      const planned = expandMatrix(manifest.profile, revision.id, {});
      assert.deepEqual(
        outcome.results.map((c) => c.id),
        interleavedOrder(planned, 20261206).map((c) => c.id),
      );
    } finally {
      stopHog();
    }
  });
});
