/**
 * Benchmark (a figure, not a test) of the lab's own machinery:
 * - the runner's overhead per load cell: wall time minus warm-up and load duration minus the
 *   app's start (its TTR), i.e. what launching, checking, sampling and stopping cost, and where it
 *   goes, from the phase times each cell records (phasesS): each phase less what it holds of
 *   TTR, warm-up and load; "other" is the rest of the cell's wall time;
 * - the time-to-ready probe: its floor against an instance that is already up (what a TTR of
 *   "zero" would read as), and its real polling rate while an app starts.
 *
 *   npm run bench:runner -- [--repeats 3] [--probes 50]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, quantile } from "simple-statistics";
import { parseFlags, positiveInt, runMain } from "../core/cli/args";
import { CELL_PHASES, type CellPhase, type CellResult } from "../core/results/schema";
import { loadRevision } from "../lab/config/revision";
import { adHocContext } from "../lab/platforms/context";
import { launchInstance } from "../lab/platforms/instance";
import { nativePlatform } from "../lab/platforms/native";
import { freePort } from "../lab/ports";
import { waitForInstance, waitForReady } from "../lab/ready";
import { runLab } from "../lab/runner/runner";
import { buildArtifacts } from "../workloads/artifacts/build";
import { binaryRecipe } from "../workloads/artifacts/recipes";

/** The runner's own share of each phase of a load cell, and of the rest of its wall time, in seconds. */
function overheadByPhase(cell: CellResult, ttrS: number, loadS: number): Record<CellPhase | "other", number> {
  const phases = cell.phasesS ?? {};
  const own = Object.fromEntries(CELL_PHASES.map((p) => [p, phases[p] ?? 0])) as Record<CellPhase, number>;
  own.launch -= ttrS;
  own.load -= loadS;
  const other = cell.wallS - ttrS - loadS - Object.values(own).reduce((a, b) => a + b, 0);
  return { ...own, other };
}

const fmt = (values: number[]) =>
  `median ${median(values).toFixed(2)}  (p10 ${quantile(values, 0.1).toFixed(2)}, p90 ${quantile(values, 0.9).toFixed(2)}, n=${values.length})`;

runMain(async () => {
  const values = parseFlags(
    { repeats: { type: "string", default: "3" }, probes: { type: "string", default: "50" } },
    "usage: npm run bench:runner -- [--repeats 3] [--probes 50]",
  );
  const repeats = positiveInt("repeats", values.repeats);
  const probes = positiveInt("probes", values.probes);
  const revision = loadRevision();
  const resultsRoot = mkdtempSync(join(tmpdir(), "bench-runner-"));

  const overhead = new Map<string, number[]>();
  const byPhase = new Map<string, Map<CellPhase | "other", number[]>>();
  // Outside every cell's wall time: the runner recording a result and moving on to the next cell.
  const between: number[] = [];
  for (let r = 0; r < repeats; r++) {
    process.stderr.write(`lab run ${r + 1}/${repeats} ...\n`);
    const outcome = await runLab({
      run: {
        kind: "new",
        revision,
        profileName: "quick",
        selection: { platforms: ["native", "docker"], workloads: ["io", "compute"], memoryMB: [128] },
      },
      resultsRoot,
      generatorPreference: null,
      log: () => {},
    });
    const ran = (outcome.results as CellResult[]).filter((cell) => cell.status !== "skipped");
    for (let i = 1; i < ran.length; i++) {
      between.push((Date.parse(ran[i]?.startedAt ?? "") - Date.parse(ran[i - 1]?.finishedAt ?? "")) / 1000);
    }
    for (const cell of outcome.results as CellResult[]) {
      if (!cell.load || !cell.ttr?.medianMs) continue;
      const loadS = cell.load.warmupS + cell.load.durationS;
      const key = cell.spec.platform;
      const ttrS = cell.ttr.medianMs / 1000;
      overhead.set(key, [...(overhead.get(key) ?? []), cell.wallS - loadS - ttrS]);
      const phases = byPhase.get(key) ?? new Map<CellPhase | "other", number[]>();
      for (const [phase, seconds] of Object.entries(overheadByPhase(cell, ttrS, loadS))) {
        phases.set(phase as CellPhase | "other", [...(phases.get(phase as CellPhase | "other") ?? []), seconds]);
      }
      byPhase.set(key, phases);
    }
  }

  // The probe against an instance that is already serving: the smallest TTR it can report.
  const manifest = await buildArtifacts({ revision, runtimes: ["go"], recipes: [binaryRecipe] });
  const goBinary = manifest.artifacts[0]?.ref ?? "";
  const ctx = await adHocContext({
    runtime: "go",
    platform: nativePlatform,
    artifact: goBinary,
    hostPort: await freePort(),
    workDir: mkdtempSync(join(tmpdir(), "bench-probe-")),
  });
  const instance = await launchInstance(nativePlatform, ctx);
  const startup = await waitForInstance(instance);
  const floor: number[] = [];
  for (let i = 0; i < probes; i++) {
    floor.push((await waitForReady(`${instance.baseUrl}/io`, performance.now())).elapsedMs);
  }
  await instance.stop();

  process.stdout.write("runner overhead per load cell, seconds (wall - warm-up - load - app start):\n");
  for (const [platform, seconds] of overhead) {
    process.stdout.write(`  ${platform.padEnd(7)} ${fmt(seconds)}\n`);
    // Medians per phase: they need not add up to the median overhead, only roughly.
    const parts = [...(byPhase.get(platform) ?? [])].map(([phase, s]) => `${phase} ${median(s).toFixed(3)}`);
    process.stdout.write(`          by phase (median s): ${parts.join(", ")}\n`);
  }
  if (between.length > 0) {
    process.stdout.write(`  between cells (recording, next cell; outside the above): ${fmt(between)}\n`);
  }
  process.stdout.write("time-to-ready probe:\n");
  process.stdout.write(`  floor against a ready instance, ms: ${fmt(floor)}\n`);
  process.stdout.write(
    `  one Go start: ${startup.elapsedMs.toFixed(2)} ms with ${startup.attempts} attempts ` +
      `(${(startup.attempts / startup.elapsedMs).toFixed(2)} probes per ms)\n`,
  );
});
