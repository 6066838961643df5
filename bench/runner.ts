/**
 * Benchmark (a figure, not a test) of the lab's own machinery:
 * - the runner's overhead per load cell: wall time minus warm-up and load duration minus the
 *   app's start (its TTR), i.e. what launching, checking, sampling, stopping and recording cost;
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
import type { CellResult } from "../core/results/schema";
import { loadRevision } from "../lab/config/revision";
import { adHocContext } from "../lab/platforms/context";
import { launchInstance } from "../lab/platforms/instance";
import { nativePlatform } from "../lab/platforms/native";
import { freePort } from "../lab/ports";
import { waitForInstance, waitForReady } from "../lab/ready";
import { runLab } from "../lab/runner/runner";
import { buildArtifacts } from "../workloads/artifacts/build";
import { binaryRecipe } from "../workloads/artifacts/recipes";

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
    for (const cell of outcome.results as CellResult[]) {
      if (!cell.load || !cell.ttr?.medianMs) continue;
      const loadS = cell.load.warmupS + cell.load.durationS;
      const key = cell.spec.platform;
      overhead.set(key, [...(overhead.get(key) ?? []), cell.wallS - loadS - cell.ttr.medianMs / 1000]);
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
  for (const [platform, seconds] of overhead) process.stdout.write(`  ${platform.padEnd(7)} ${fmt(seconds)}\n`);
  process.stdout.write("time-to-ready probe:\n");
  process.stdout.write(`  floor against a ready instance, ms: ${fmt(floor)}\n`);
  process.stdout.write(
    `  one Go start: ${startup.elapsedMs.toFixed(2)} ms with ${startup.attempts} attempts ` +
      `(${(startup.attempts / startup.elapsedMs).toFixed(2)} probes per ms)\n`,
  );
});
