/**
 * Benchmark (a figure, not a test): the lab's time to ready for the native Go binary beside an
 * independent measurement of the same binary, and the harness's own floor.
 * - independent: spawn the binary directly and poll it back to back until the first HTTP 200;
 * - lab: the native platform's scripts, clocked from the stamp before the exec (lab/ready.ts);
 * - floor: the lab's TTR of an instance that serves before its launch (lab/runner/harnessFloor.ts).
 * The launches alternate between the two, so a noisy moment on the machine hits both alike.
 *
 *   npm run bench:ttr -- [--launches 20]
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, quantile } from "simple-statistics";
import { parseFlags, positiveInt, runMain } from "../core/cli/args";
import { loadRevision } from "../lab/config/revision";
import { adHocContext } from "../lab/platforms/context";
import { launchInstance } from "../lab/platforms/instance";
import { nativePlatform } from "../lab/platforms/native";
import { freePort } from "../lab/ports";
import { httpStatus, waitForInstance } from "../lab/ready";
import { measureHarnessFloor } from "../lab/runner/harnessFloor";
import { buildArtifacts } from "../workloads/artifacts/build";
import { binaryRecipe } from "../workloads/artifacts/recipes";

const fmt = (values: number[]) =>
  `median ${median(values).toFixed(2)} ms  (p10 ${quantile(values, 0.1).toFixed(2)}, p90 ${quantile(values, 0.9).toFixed(2)}, n=${values.length})`;

/**
 * Spawn, then poll back to back (each refused connection returns at once) until a 200. Two clocks:
 * from the spawn() call (Node's fork and exec included), and from Node's 'spawn' event (the exec
 * has happened: the clock the lab's stamp approximates from inside the start script).
 */
async function spawnAndPoll(binary: string): Promise<{ fromCall: number; fromExec: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(binary, [], { env: { ...process.env, PORT: String(port) }, stdio: "ignore" });
  let execAt = started;
  child.once("spawn", () => {
    execAt = performance.now();
  });
  try {
    for (;;) {
      const status = await httpStatus(`http://127.0.0.1:${port}/io`, 1_000).catch(() => 0);
      const now = performance.now();
      if (status === 200) return { fromCall: now - started, fromExec: now - execAt };
      if (now - started > 10_000) throw new Error(`${binary} did not answer within 10 s`);
    }
  } finally {
    child.kill("SIGKILL");
    await once(child, "exit");
  }
}

runMain(async () => {
  const values = parseFlags(
    { launches: { type: "string", default: "20" } },
    "usage: npm run bench:ttr -- [--launches 20]",
  );
  const launches = positiveInt("launches", values.launches);
  const manifest = await buildArtifacts({ revision: loadRevision(), runtimes: ["go"], recipes: [binaryRecipe] });
  const binary = manifest.artifacts[0]?.ref;
  if (!binary) throw new Error("the Go binary was not built");
  const workRoot = mkdtempSync(join(tmpdir(), "bench-ttr-"));
  const independent: number[] = [];
  const independentFromExec: number[] = [];
  const lab: number[] = [];
  const harnessClock: number[] = [];
  try {
    for (let i = 0; i < launches; i++) {
      const plain = await spawnAndPoll(binary);
      independent.push(plain.fromCall);
      independentFromExec.push(plain.fromExec);
      const ctx = await adHocContext({
        platform: nativePlatform,
        runtime: "go",
        artifact: binary,
        hostPort: await freePort(),
        workDir: join(workRoot, String(i)),
        resources: { cpus: 1, memoryMB: 256 },
      });
      const instance = await launchInstance(nativePlatform, ctx);
      try {
        const ready = await waitForInstance(instance, "/io", 10_000);
        if (ready.clock !== "launch-command") throw new Error("the native start script wrote no launch stamp");
        lab.push(ready.elapsedMs);
        harnessClock.push(ready.readyAt - instance.launchedAt);
      } finally {
        await instance.stop();
      }
    }
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
  const floor = await measureHarnessFloor(launches);
  const ratio = median(lab) / median(independentFromExec);
  process.stdout.write(
    `native Go time to ready, ${launches} launches each, alternating:\n` +
      `  independent spawn-and-poll, from spawn(): ${fmt(independent)}\n` +
      `  the same, from Node's 'spawn' event:   ${fmt(independentFromExec)}  (exec done: the lab's clock)\n` +
      `  lab (stamp before exec -> first 200):  ${fmt(lab)}\n` +
      `  lab, clocked from spawning start.sh:   ${fmt(harnessClock)}  (the old clock, wrappers included)\n` +
      `  harness floor (ready before launch):   ${fmt(floor.samplesMs)}\n` +
      `  lab / independent (both from the exec): ${ratio.toFixed(3)} (${((ratio - 1) * 100).toFixed(1)}%)\n`,
  );
});
