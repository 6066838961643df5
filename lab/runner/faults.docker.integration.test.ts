/**
 * The Docker engine stops in the middle of a cell. The test starts an engine of its own (private
 * socket, data root and bridge; containers use the host's network), points the lab at it with
 * DOCKER_HOST, and stops it (SIGTERM, as `systemctl stop docker`) while a Docker cell is under
 * load. That cell is a lab-error naming the engine, the platform's later cells are skipped with
 * the reason, the native cells beside them go on, nothing measured is lost, nothing of the lab
 * runs afterwards, and the next lab run removes the container record the stopped engine kept.
 * The machine's own Docker engine is never touched, nor its docker0 bridge.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Revision } from "../../core/config/revision";
import { hasCommand } from "../../core/exec";
import { dockerSkip, goSkip } from "../../core/testing/requirements";
import { testRunId } from "../../core/testing/runIds";
import { probeVersion } from "../load/generator";
import { wrkGenerator } from "../load/wrk";
import { RUN_LABEL } from "../platforms/docker";
import { cleanLeftovers } from "../results/store";
import { validateRun } from "../results/validate";
import {
  childrenOf,
  livePidsUnder,
  type PrivateDockerd,
  processesMentioning,
  startPrivateDockerd,
} from "../testing/faults";
import { revisionWithQuick } from "../testing/labRuns";
import { runLab } from "./runner";

// Short: the engine's sockets live under it (a unix socket path has at most 107 bytes).
const work = mkdtempSync(join(tmpdir(), "fdk-"));
const runId = testRunId("docker-stops");
let engine: PrivateDockerd | undefined;
const savedHost = process.env.DOCKER_HOST;

function revisionWith(): Revision {
  return revisionWithQuick((quick) => ({
    runtimes: ["go"],
    platforms: ["docker", "native"],
    workloads: ["io"],
    resources: [{ cpus: 1, memoryMB: 256 }],
    ttr: { launches: 0, timeoutS: 30 },
    load: { executor: "constant-vus", vus: 4, warmupS: 0, durationS: 4, requestTimeoutS: 5 },
    knobs: { ...quick.knobs, dockerNetwork: "host" }, // the private engine sets up no NAT
    repetitions: 3,
    knobVariants: [],
    generator: "wrk",
  }));
}

function docker(args: string[]): string {
  return execFileSync("docker", args, { env: { ...process.env, DOCKER_HOST: engine?.host }, encoding: "utf8" });
}

after(async () => {
  if (savedHost === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = savedHost;
  await engine?.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe("the Docker engine stops during a cell", { timeout: 300_000 }, () => {
  it("that cell is a lab-error naming the engine, Docker's later cells are skipped, native goes on, nothing is lost or left running", async (t) => {
    // A machine whose own engine cannot run (a container without privileges) cannot run a private one either.
    const skip =
      (await dockerSkip()) ||
      (await goSkip()) ||
      (!(await hasCommand("dockerd", ["--version"])) && "dockerd is not installed") ||
      ((await probeVersion(wrkGenerator)) === null && "wrk is not installed");
    if (skip) return t.skip(skip);
    if (process.getuid?.() !== 0) return t.skip("a private Docker engine needs root");
    const hostBridge = () => existsSync("/sys/class/net/docker0");
    const hadBridge = hostBridge();
    engine = await startPrivateDockerd(join(work, "engine"));
    if (!engine) return t.skip("dockerd could not be started");
    process.env.DOCKER_HOST = engine.host;

    const lines: string[] = [];
    const recorded: string[] = [];
    let stopping: Promise<void> | undefined;
    const running = runLab({
      run: { kind: "new", revision: revisionWith(), profileName: "quick", selection: {}, runId },
      resultsRoot: join(work, "results"),
      generatorPreference: null,
      log: (line) => {
        lines.push(line);
        const done = /^\[\d+\/\d+\] (\S+):/.exec(line)?.[1];
        if (done) recorded.push(done);
      },
    });
    // Once the first Docker and native cells are in, stop the engine under the second Docker cell's load.
    const deadline = Date.now() + 180_000;
    while (!stopping && Date.now() < deadline) {
      const loading = childrenOf(process.pid).some(
        (p) => p.comm === "wrk" && p.argv.some((a) => a.startsWith("http://")),
      );
      if (recorded.length === 2 && loading) {
        await sleep(800);
        stopping = engine.stop();
      }
      await sleep(50);
    }
    const outcome = await running;
    await stopping;
    const text = lines.join("\n");
    assert.ok(stopping, `the engine was stopped under load:\n${text}`);

    const byName = new Map(outcome.results.map((c) => [c.name, c]));
    const cell = (name: string) => {
      const found = byName.get(name);
      assert.ok(found, `${name} was recorded:\n${text}`);
      return found;
    };
    assert.equal(outcome.results.length, 6, text);
    for (const c of outcome.results) t.diagnostic(`${c.name}: ${c.status}${c.reason ? `: ${c.reason}` : ""}`);
    assert.equal(cell("go-docker-io-1cpu-256mb-r1").status, "ok", cell("go-docker-io-1cpu-256mb-r1").reason ?? "");
    const hit = cell("go-docker-io-1cpu-256mb-r2");
    assert.equal(hit.status, "lab-error", `${hit.status}: ${hit.reason}`);
    assert.match(hit.reason ?? "", /then docker failed its check: docker: the Docker engine does not answer/);
    const later = cell("go-docker-io-1cpu-256mb-r3");
    assert.equal(later.status, "skipped");
    assert.match(
      later.reason ?? "",
      /^docker: the Docker engine does not answer \(found after go-docker-io-1cpu-256mb-r2\)/,
    );
    for (const r of [1, 2, 3]) {
      const native = cell(`go-native-io-1cpu-256mb-r${r}`);
      assert.equal(native.status, "ok", `the sweep goes on: ${native.name}: ${native.reason}`);
    }
    const check = validateRun(outcome.runDir);
    assert.deepEqual(check.problems, []);
    assert.deepEqual(check.missing, []);

    // Nothing of the lab runs: no instance process, nothing of the engine (containerd, shims).
    assert.deepEqual(livePidsUnder(outcome.runDir), []);
    assert.deepEqual(
      processesMentioning(engine.root).map((p) => `${p.pid} ${p.argv.join(" ")}`),
      [],
    );

    // The engine kept the stopped container's record; the cell's instance stayed marked, and the
    // next lab run here removes it once the engine is back.
    const marked = readdirSync(join(outcome.runDir, "active"));
    assert.ok(marked.length > 0 && marked.every((m) => m.startsWith("unconfirmed-")), JSON.stringify(marked));
    await engine.dispose();
    engine = await startPrivateDockerd(join(work, "engine"));
    assert.ok(engine);
    process.env.DOCKER_HOST = engine.host;
    const cleaned = await cleanLeftovers(join(work, "results"));
    assert.ok(cleaned.length > 0);
    assert.equal(
      docker(["ps", "-a", "--filter", `label=${RUN_LABEL}=${runId}`, "--format", "{{.Names}}"]).trim(),
      "",
      "no container of the run is left",
    );
    assert.equal(existsSync(join(outcome.runDir, "lab.lock")), false);
    assert.equal(hostBridge(), hadBridge, "the machine's docker0 is as it was");
  });
});
