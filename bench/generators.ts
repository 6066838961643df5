/**
 * Benchmark (a figure, not a test): each load generator's ceiling on one core, the way the lab
 * measures it before a sweep, against /io and /compute; medians of repeated runs.
 * - target `responder`: the lab's responder (lab/load/responder), which is never the bottleneck:
 *   the generator's own ceiling, what cells are flagged against;
 * - target `go`: the native Go app on the other core(s), as issue 9's table was measured: what a
 *   generator gets from the fastest app the lab has.
 * Generators that are not installed are listed as missing.
 *
 *   npm run bench:generators -- [--repeats 3] [--duration 5] [--vus 16] [--target responder,go]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "simple-statistics";
import { parseFlags, parseList, positiveInt, runMain } from "../core/cli/args";
import type { Ceiling } from "../core/load/ceiling";
import { GENERATORS, type GeneratorName } from "../core/load/types";
import { buildDir } from "../core/paths";
import { installedGenerators, measureCeilings } from "../lab/load/calibrate";
import { coresBesideApp } from "../lab/load/cores";
import { runLoad } from "../lab/load/generator";
import { generatorRegistry } from "../lab/load/registry";
import { cpuListFor } from "../lab/platforms/context";
import { freePort } from "../lab/ports";
import { waitForReady } from "../lab/ready";
import { buildGoBinary } from "../workloads/artifacts/goBinary";
import { workloadNames } from "../workloads/endpoints";

const TARGETS = ["responder", "go"] as const;
const usage = "usage: npm run bench:generators -- [--repeats 3] [--duration 5] [--vus 16] [--target responder,go]";

interface Row {
  generator: GeneratorName;
  version: string | null;
  workload: string;
  target: string;
  samples: number[];
  coresUsed: number[];
}

/** The native Go app pinned to the app's core(s), as in a 1-CPU cell. */
async function startGoApp(): Promise<{ baseUrl: string; child: ChildProcess }> {
  const { path: binary } = await buildGoBinary(join(buildDir, "load", "bin"));
  const port = await freePort();
  const child = spawn("taskset", ["-c", cpuListFor(1), binary], {
    env: { ...process.env, PORT: String(port) },
    stdio: "ignore",
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForReady(`${baseUrl}/io`, performance.now(), { isAlive: () => child.exitCode === null });
  return { baseUrl, child };
}

async function againstGo(
  generators: readonly GeneratorName[],
  versions: Map<GeneratorName, string>,
  settings: { repeats: number; durationS: number; vus: number },
  outDir: string,
): Promise<Row[]> {
  const app = await startGoApp();
  const rows: Row[] = [];
  try {
    for (const generator of generators) {
      for (const workload of workloadNames()) {
        const row: Row = {
          generator,
          version: versions.get(generator) ?? null,
          workload,
          target: "go",
          samples: [],
          coresUsed: [],
        };
        for (let i = 1; i <= settings.repeats; i++) {
          const result = await runLoad(
            {
              baseUrl: app.baseUrl,
              workload,
              executor: "constant-vus",
              vus: settings.vus,
              warmupS: 1,
              durationS: settings.durationS,
              requestTimeoutS: 10,
            },
            join(outDir, `go-${generator}-${workload}-${i}`),
            { generator, cores: coresBesideApp(1) },
          );
          row.samples.push(result.summary.okThroughputRps);
          row.coresUsed.push(result.generatorCpu.cores);
        }
        rows.push(row);
        process.stderr.write(`  go ${generator} /${workload}: ${Math.round(median(row.samples))} ok req/s\n`);
      }
    }
  } finally {
    const exited = once(app.child, "exit");
    app.child.kill("SIGTERM");
    await exited;
  }
  return rows;
}

const fromCeiling = (c: Ceiling): Row => ({
  generator: c.generator,
  version: c.version,
  workload: c.workload,
  target: "responder",
  samples: c.samplesRps,
  coresUsed: [c.coresUsed],
});

runMain(async () => {
  const values = parseFlags(
    {
      repeats: { type: "string", default: "3" },
      duration: { type: "string", default: "5" },
      vus: { type: "string", default: "16" },
      target: { type: "string", default: TARGETS.join(",") },
    },
    usage,
  );
  const settings = {
    repeats: positiveInt("repeats", values.repeats),
    durationS: positiveInt("duration", values.duration),
    vus: positiveInt("vus", values.vus),
  };
  const targets = parseList("target", values.target, TARGETS);
  const outDir = mkdtempSync(join(tmpdir(), "bench-generators-"));
  const versions = await installedGenerators();
  const generators = GENERATORS.filter((g) => versions.has(g));
  const cores = coresBesideApp(1);
  process.stderr.write(
    `${availableParallelism()} cores: the generator on [${cores.cpuList}], the target on [${cpuListFor(1)}]; ` +
      `${settings.vus} connections, ${settings.durationS} s runs, median of ${settings.repeats}\n`,
  );

  const rows: Row[] = [];
  if (targets.includes("responder")) {
    const ceilings = await measureCeilings({
      generators,
      workloads: workloadNames(),
      appCpus: [1],
      vus: settings.vus,
      warmupS: 1,
      durationS: settings.durationS,
      requestTimeoutS: 10,
      runs: settings.repeats,
      outDir: join(outDir, "responder"),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    rows.push(...ceilings.map(fromCeiling));
  }
  if (targets.includes("go")) rows.push(...(await againstGo(generators, versions, settings, outDir)));

  const header = [
    "generator",
    "version",
    "endpoint",
    "target",
    "ok req/s (median)",
    "runs",
    "generator cores (median)",
  ];
  const table = rows.map((r) => [
    r.generator,
    r.version ?? "-",
    `/${r.workload}`,
    r.target === "responder" ? "responder (ceiling)" : "native Go app",
    String(Math.round(median(r.samples))),
    r.samples.map((s) => Math.round(s)).join(" "),
    median(r.coresUsed).toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const out = [line(header), ...table.map(line)];
  for (const name of GENERATORS.filter((g) => !versions.has(g))) {
    out.push(`${name}: missing here (${generatorRegistry[name].install.howTo})`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
});
