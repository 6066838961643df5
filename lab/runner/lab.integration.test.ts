/**
 * The local lab end to end, through its command line: the quick profile on this machine, an
 * out-of-memory cell recorded as a result, an interrupted run that leaves nothing behind, and a
 * resume that runs exactly the missing cells.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { buildScenarios } from "../../analysis/scenarios";
import { run } from "../../core/exec";
import { readManifest } from "../../core/results/read";
import { CELL_PHASES } from "../../core/results/schema";
import { dockerSkip } from "../../core/testing/requirements";
import { testRunId } from "../../core/testing/runIds";
import { labContainers } from "../platforms/docker";
import { validateRun } from "../results/validate";
import { type LabChild, revisionWithQuick, runLabCli, startLabCli } from "../testing/labRuns";

const resultsRoot = mkdtempSync(join(tmpdir(), "lab-it-"));
/** The quick run's id, unique to this copy of the test. */
const quickId = testRunId("quick");

/**
 * The quick profile in matrix order with its fixed repetitions (no adaptive ones): the interrupted
 * runs below count their cells.
 */
const fixedQuickRevision = `${resultsRoot}-revision.yaml`;
writeFileSync(fixedQuickRevision, stringify(revisionWithQuick(() => ({}))));
/**
 * The quick profile as shipped (seeded order, adaptive repetitions) but with a small budget for the
 * added repetitions, so the suite stays lean: the adaptive rule runs, its stops are recorded.
 */
const leanQuickRevision = `${resultsRoot}-lean-revision.yaml`;
writeFileSync(
  leanQuickRevision,
  stringify(
    revisionWithQuick((quick) => ({
      ...(quick.order ? { order: quick.order } : {}),
      ...(quick.adaptive ? { adaptive: { ...quick.adaptive, budgetS: 20 } } : {}),
    })),
  ),
);
after(() => {
  rmSync(fixedQuickRevision, { force: true });
  rmSync(leanQuickRevision, { force: true });
});

function startLab(args: string[]): LabChild {
  return startLabCli(resultsRoot, args);
}

function lab(args: string[]): Promise<{ code: number | null; output: string }> {
  return runLabCli(resultsRoot, args);
}

const cellFiles = (runId: string) =>
  existsSync(join(resultsRoot, runId, "cells"))
    ? readdirSync(join(resultsRoot, runId, "cells")).filter((f) => f.endsWith(".json"))
    : [];

/** Every instance.pid under a run: none may belong to a live process. */
function livePids(runId: string): number[] {
  const live: number[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === "instance.pid") {
        const pid = Number(readFileSync(path, "utf8"));
        try {
          process.kill(pid, 0);
          const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
          if (state !== "Z") live.push(pid);
        } catch {
          // gone, as it should be
        }
      }
    }
  };
  walk(join(resultsRoot, runId));
  return live;
}

async function containersOf(runId: string): Promise<string[]> {
  const { stdout } = await run("docker", [
    "ps",
    "-a",
    "--filter",
    `label=edgelab.run=${runId}`,
    "--format",
    "{{.Names}}",
  ]);
  return stdout.split("\n").filter(Boolean);
}

describe("npm run lab", { timeout: 900_000 }, () => {
  it("runs the quick profile: native and docker, both runtimes and workloads, OOM recorded, three repetitions, results valid", async (t) => {
    const skip = await dockerSkip();
    if (skip) return t.skip(skip);
    // The quick profile's 256 and 16 MB levels on the platforms every CI host has (the others have tests of their own).
    // /io is left to the interrupted runs below and to the apps' own tests, to keep the suite short.
    const selection = ["--platform", "native,docker,nanos", "--memory", "256,16", "--workload", "startup,compute"];
    const { code, output } = await lab([
      "--revision",
      leanQuickRevision,
      "--profile",
      "quick",
      "--run-id",
      quickId,
      ...selection,
    ]);
    assert.equal(code, 0, output);
    assert.match(output, /cells: 0 already recorded, \d+ to run/);
    assert.match(output, /estimated \d/);
    assert.match(output, /\[1\/\d+\] .* ETA /);

    const report = validateRun(join(resultsRoot, quickId));
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.missing, []);
    const byName = new Map(report.cells.map((c) => [c.name, c]));
    for (const repetition of [1, 2, 3]) {
      for (const runtime of ["go", "node"]) {
        for (const platform of ["native", "docker"]) {
          const cell = byName.get(`${runtime}-${platform}-compute-1cpu-256mb-r${repetition}`);
          assert.equal(cell?.status, "ok", `${cell?.name}: ${cell?.reason}`);
          assert.ok((cell?.load?.requests ?? 0) > 0);
          assert.equal(cell?.load?.failedRequests, 0);
          assert.equal(cell?.appInfo?.memory.cgroupLimitBytes, 256 * 1024 * 1024, "the app saw its memory limit");
          assert.ok((cell?.footprint?.samples ?? 0) > 0, "footprint sampled during the load");
          assert.equal(cell?.limits?.memoryMB.enforced, true);
          assert.equal(cell?.ttr?.clock, "launch-command");
          // Every phase of a load cell is timed, within its wall time; the launch holds its TTR.
          const phases = cell?.phasesS ?? {};
          assert.deepEqual(Object.keys(phases).sort(), [...CELL_PHASES].sort(), `${cell?.name} phases`);
          const timedS = Object.values(phases).reduce((sum, s) => sum + s, 0);
          assert.ok(timedS <= (cell?.wallS ?? 0) + 0.01, `${cell?.name}: phases ${timedS} s > wall ${cell?.wallS} s`);
          assert.ok((phases.launch ?? 0) * 1000 >= (cell?.ttr?.medianMs ?? Number.POSITIVE_INFINITY) - 1);
          const startup = byName.get(`${runtime}-${platform}-startup-1cpu-256mb-r${repetition}`);
          assert.equal(startup?.status, "ok", startup?.reason ?? "");
          assert.equal(startup?.ttr?.samplesMs.length, 3);
          const starved = byName.get(`${runtime}-${platform}-compute-1cpu-16mb-r${repetition}`);
          if (runtime === "node") {
            assert.equal(starved?.status, "oom", `${starved?.name}: ${starved?.status} ${starved?.reason}`);
            assert.equal(starved?.exit?.oomKilled, true);
            const fitted = byName.get(`node-${platform}-compute-1cpu-16mb-nodeHeap-fit-r${repetition}`);
            assert.equal(fitted?.spec.knobs.nodeHeap, "fit", "the nodeHeap variant ran beside the default");
          } else assert.equal(starved?.status, "ok", `${starved?.name}: ${starved?.reason}`);
        }
      }
    }
    // Three repetitions of every scenario; each with two or more usable repetitions has a 95%
    // interval (what the report's figures draw). A repetition flagged generator-bound is left out
    // of the statistics where clean ones exist, so a scenario may rest on fewer than three.
    const scenarios = buildScenarios(report.cells.map((cell) => ({ cell, file: "", runId: quickId })));
    const withLoad = scenarios.filter((s) => s.spec.workload !== "startup" && s.basis !== "none");
    assert.ok(withLoad.length > 0);
    for (const s of withLoad) {
      // quick adds repetitions (up to 6) where three leave the interval wide.
      assert.ok(
        s.cells.length >= 3 && s.cells.length <= 6,
        `${s.series} ${s.spec.workload}: ${s.cells.length} repetitions`,
      );
      const throughput = s.metrics.throughputRps;
      assert.equal(
        throughput?.n,
        s.used.length,
        `${s.series} ${s.spec.workload}: the statistics use the usable repetitions`,
      );
      if (s.used.length >= 2) assert.ok(throughput?.ciLow != null, `${s.series} ${s.spec.workload} has an interval`);
    }
    assert.ok(
      withLoad.some((s) => (s.metrics.throughputRps?.n ?? 0) >= 3 && s.metrics.throughputRps?.ciLow != null),
      "some scenario has an interval from three repetitions",
    );
    // Every ok cell records interference and steal over what it measured; the manifest records the seed.
    for (const c of report.cells.filter((x) => x.status === "ok")) {
      assert.ok(c.interference && c.interference.stealS >= 0, `${c.name} records interference`);
    }
    assert.ok(readManifest(join(resultsRoot, quickId)).schedule?.seed, "the manifest records the seed");
    const nanos = report.cells.filter((c) => c.spec.platform === "nanos");
    assert.ok(nanos.length > 0);
    for (const cell of nanos) {
      if (cell.status === "skipped") assert.match(cell.reason ?? "", /^nanos: /);
    }
    const manifest = JSON.parse(readFileSync(join(resultsRoot, quickId, "manifest.json"), "utf8"));
    assert.equal(manifest.revision.versions.node, "24.3.0");
    assert.ok(manifest.host.cores >= 1 && manifest.host.kernel && manifest.host.cpuModel);
    assert.ok(["k6", "wrk", "autocannon"].includes(report.cells.find((c) => c.load)?.load?.generator ?? ""));
    // The generators' ceilings were measured before the sweep; each load cell keeps its command.
    assert.ok(manifest.generators.ceilings.length > 0, JSON.stringify(manifest.generators));
    for (const cell of report.cells.filter((c) => c.load)) assert.ok(cell.generator?.commandLine, cell.name);
    assert.deepEqual(await containersOf(quickId), []);
    assert.deepEqual(livePids(quickId), []);
  });

  it("never overwrites a run", async () => {
    const { code, output } = await lab(["--profile", "quick", "--run-id", quickId, "--platform", "native"]);
    if (!existsSync(join(resultsRoot, quickId))) return; // the first test was skipped
    assert.notEqual(code, 0);
    assert.match(
      output,
      new RegExp(`already exists: a run is never overwritten \\(use --resume ${quickId} to finish it\\)`),
    );
  });

  for (const [signal, label] of [
    ["SIGTERM", "stopped"],
    ["SIGKILL", "killed"],
  ] as const) {
    it(`${label} mid-sweep (${signal}) leaves nothing running, and --resume runs only the missing cells`, async (t) => {
      const skip = await dockerSkip();
      if (skip) return t.skip(skip);
      const runId = testRunId(`interrupted-${label}`);
      const args = [
        "--revision",
        fixedQuickRevision,
        "--profile",
        "quick",
        "--run-id",
        runId,
        "--platform",
        "native,docker",
        "--runtime",
        "go",
        "--workload",
        "io",
        "--memory",
        "256",
      ];
      const { child, output } = startLab(args);
      // Let two cells finish, then interrupt while the third is under load.
      const deadline = Date.now() + 240_000;
      while (cellFiles(runId).length < 2 && Date.now() < deadline && child.exitCode === null) await sleep(100);
      await sleep(2_500);
      assert.equal(child.exitCode, null, `the run ended before it could be interrupted:\n${output()}`);
      child.kill(signal);
      const [code, gotSignal] = await once(child, "exit");
      if (signal === "SIGTERM") {
        assert.equal(code, 130, output());
        assert.match(output(), new RegExp(`finish with: npm run lab -- --resume ${runId}`));
        // The runner removed its own instance before exiting, and released the run's lock.
        assert.deepEqual(await containersOf(runId), []);
        assert.deepEqual(livePids(runId), []);
        assert.equal(existsSync(join(resultsRoot, runId, "lab.lock")), false);
      } else assert.equal(gotSignal, "SIGKILL");

      const before = cellFiles(runId);
      const total = 6; // 3 repetitions x 2 platforms
      assert.ok(before.length >= 2 && before.length < total, `recorded before the interruption: ${before.length}`);
      const stamps = new Map(before.map((f) => [f, statSync(join(resultsRoot, runId, "cells", f)).mtimeMs]));

      const resumed = await lab(["--resume", runId]);
      assert.equal(resumed.code, 0, resumed.output);
      if (signal === "SIGKILL") {
        assert.match(resumed.output, /removed \d+ instance\(s\) an interrupted run left behind/);
        assert.match(resumed.output, /took over the lock of pid \d+ .*: that lab is no longer running/);
      }
      assert.match(
        resumed.output,
        new RegExp(`cells: ${before.length} already recorded, ${total - before.length} to run`),
      );
      const after = cellFiles(runId);
      assert.equal(after.length, total);
      for (const [file, mtime] of stamps) {
        assert.equal(statSync(join(resultsRoot, runId, "cells", file)).mtimeMs, mtime, `${file} was rewritten`);
      }
      const report = validateRun(join(resultsRoot, runId));
      assert.deepEqual(report.problems, []);
      assert.deepEqual(report.missing, []);
      assert.deepEqual(await containersOf(runId), []);
      assert.deepEqual(livePids(runId), []);
      assert.deepEqual(
        (await labContainers()).filter((name) => name.includes(runId)),
        [],
      );
    });
  }
});
