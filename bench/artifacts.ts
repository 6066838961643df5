/**
 * Benchmark (a figure, not a test): per app, natively and in Docker, the artifact size, the
 * median time from launch to first 200 over N launches, and req/s for /io and /compute under a
 * short load. Every instance is checked against the HTTP contract before it is loaded.
 *
 *   npm run bench:artifacts -- [--launches 10] [--duration 5] [--repeats 3] [--connections 32]
 *
 * The load generator (autocannon) runs on the same two cores as the app here, so the req/s are
 * this machine's, useful to compare the rows with each other, not with the paper.
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { median, quantile } from "simple-statistics";
import { parseFlags, positiveInt, runMain } from "../core/cli/args";
import type { Runtime, Workload } from "../core/model";
import { loadRevision } from "../lab/config/revision";
import { adHocContext } from "../lab/platforms/context";
import { dockerPlatform } from "../lab/platforms/docker";
import { type LaunchedInstance, launchInstance } from "../lab/platforms/instance";
import { nativePlatform } from "../lab/platforms/native";
import type { Platform } from "../lab/platforms/types";
import { freePort } from "../lab/ports";
import { waitForInstance } from "../lab/ready";
import { buildArtifacts } from "../workloads/artifacts/build";
import { binaryRecipe, dockerOfflineRecipe } from "../workloads/artifacts/recipes";
import { verifyContract } from "../workloads/contract";
import { workloadNames } from "../workloads/endpoints";
import { runtimeNames } from "../workloads/runtimes/registry";

interface Target {
  runtime: Runtime;
  platform: "native" | "docker";
  artifact: string;
  sizeBytes: number;
  launch: (port: number) => Promise<LaunchedInstance>;
}

async function timeToReady(target: Target): Promise<number> {
  const instance = await target.launch(await freePort());
  try {
    return (await waitForInstance(instance)).elapsedMs;
  } finally {
    await instance.stop();
  }
}

async function loadOnce(url: string, seconds: number, connections: number) {
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    failed: result.errors + result.timeouts + result.non2xx,
  };
}

runMain(async () => {
  const values = parseFlags(
    {
      launches: { type: "string", default: "10" },
      duration: { type: "string", default: "5" },
      repeats: { type: "string", default: "3" },
      connections: { type: "string", default: "32" },
    },
    "usage: npm run bench:artifacts -- [--launches 10] [--duration 5] [--repeats 3] [--connections 32]",
  );
  const launches = positiveInt("launches", values.launches);
  const duration = positiveInt("duration", values.duration);
  const repeats = positiveInt("repeats", values.repeats);
  const connections = positiveInt("connections", values.connections);

  const revision = loadRevision();
  const manifest = await buildArtifacts({
    revision,
    runtimes: runtimeNames(),
    recipes: [binaryRecipe, dockerOfflineRecipe],
  });
  const find = (runtime: Runtime, kind: string) => {
    const a = manifest.artifacts.find((x) => x.runtime === runtime && x.kind === kind);
    if (!a?.size) throw new Error(`${runtime} ${kind} was not built`);
    return { ref: a.ref, size: a.size.apparentBytes };
  };
  const workRoot = mkdtempSync(join(tmpdir(), "bench-artifacts-"));
  const launched: LaunchedInstance[] = [];
  let seq = 0;
  const launchWith = (platform: Platform, runtime: Runtime, artifact: string) => async (port: number) => {
    const ctx = await adHocContext({
      platform,
      runtime,
      artifact,
      hostPort: port,
      workDir: join(workRoot, String(seq++)),
      runId: "bench",
    });
    const instance = await launchInstance(platform, ctx);
    launched.push(instance);
    return instance;
  };
  const targets: Target[] = runtimeNames().flatMap((runtime) => {
    const binary = find(runtime, "binary");
    const image = find(runtime, "docker-offline");
    return [
      {
        runtime,
        platform: "native" as const,
        artifact: binary.ref,
        sizeBytes: binary.size,
        launch: launchWith(nativePlatform, runtime, binary.ref),
      },
      {
        runtime,
        platform: "docker" as const,
        artifact: image.ref,
        sizeBytes: image.size,
        launch: launchWith(dockerPlatform, runtime, image.ref),
      },
    ];
  });

  const rows: string[] = [];
  try {
    for (const target of targets) {
      const label = `${target.runtime} ${target.platform}`;
      process.stderr.write(`${label}: ${launches} launches ...\n`);
      const ttr: number[] = [];
      for (let i = 0; i < launches; i++) ttr.push(await timeToReady(target));

      const instance = await target.launch(await freePort());
      const perWorkload = new Map<Workload, { rps: number; p99: number; failed: number }>();
      try {
        await waitForInstance(instance);
        const contract = await verifyContract(instance.baseUrl, target.runtime);
        if (contract.problems.length > 0)
          throw new Error(`${label} breaks the contract:\n${contract.problems.join("\n")}`);
        for (const workload of workloadNames()) {
          process.stderr.write(`${label}: /${workload} ${repeats} x ${duration}s at ${connections} connections ...\n`);
          await loadOnce(`${instance.baseUrl}/${workload}`, 1, connections); // warm-up, not counted
          const runs = [];
          for (let r = 0; r < repeats; r++)
            runs.push(await loadOnce(`${instance.baseUrl}/${workload}`, duration, connections));
          perWorkload.set(workload, {
            rps: median(runs.map((x) => x.rps)),
            p99: median(runs.map((x) => x.p99)),
            failed: runs.reduce((sum, x) => sum + x.failed, 0),
          });
        }
      } finally {
        await instance.stop();
      }
      rows.push(
        [
          target.runtime.padEnd(5),
          target.platform.padEnd(7),
          `${(target.sizeBytes / 1e6).toFixed(1)} MB`.padStart(9),
          `${median(ttr).toFixed(1)}`.padStart(8),
          `${quantile(ttr, 0).toFixed(1)}-${quantile(ttr, 1).toFixed(1)}`.padStart(13),
          ...workloadNames().flatMap((w) => [
            `${Math.round(perWorkload.get(w)?.rps ?? 0)}`.padStart(w.length + 5),
            `${perWorkload.get(w)?.p99 ?? "-"}`.padStart(w.length + 4),
          ]),
          `${[...perWorkload.values()].reduce((sum, x) => sum + x.failed, 0)}`.padStart(6),
        ].join(" "),
      );
    }
  } finally {
    for (const instance of launched) await instance.cleanup();
  }

  const header = [
    "app  ",
    "platform",
    "     size",
    "TTR ms",
    "  TTR min-max",
    ...workloadNames().flatMap((w) => [`${w} r/s`.padStart(w.length + 5), `${w} p99`.padStart(w.length + 4)]),
    "failed",
  ].join(" ");
  process.stdout.write(
    `artifact benchmark: ${launches} launches per target (median TTR), load ${repeats} x ${duration}s at ${connections} connections (median), p99 in ms\n`,
  );
  process.stdout.write(`${header}\n${rows.join("\n")}\n`);
});
