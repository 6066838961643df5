/**
 * A platform is one module and a registry line: a platform defined only in this file runs through
 * the runner end to end, with its own knob, artifact recipe and leftover cleanup. And a platform
 * whose launch command fails is found in seconds, with its own error: a Docker engine that
 * answers `docker info` but cannot start a container is no longer a column of timeouts.
 */

import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Revision } from "../../core/config/revision";
import { run } from "../../core/exec";
import { sh, shellCode } from "../../core/shell";
import { dockerSkip, goSkip } from "../../core/testing/requirements";
import { binaryRecipe } from "../../workloads/artifacts/recipes";
import { LAUNCH_STAMP_LINE } from "../clock";
import { registerPlatform, unregisterPlatform } from "../platforms/registry";
import { scriptHead } from "../platforms/shell";
import type { Platform } from "../platforms/types";
import { validateRun } from "../results/validate";
import { revisionWithQuick } from "../testing/labRuns";
import { runLab } from "./runner";

const resultsRoot = mkdtempSync(join(tmpdir(), "plugin-it-"));
const cleanedUp: string[] = [];

/** The app as a plain background process, with a knob that picks its working folder's name. */
const plainProcess: Platform = {
  name: "plain-process",
  description: "the app as a plain background process (defined in a test)",
  class: { kernel: "linux", isolation: "none" },
  knobs: { plainProcessFolder: { values: ["here", "there"], default: "here", description: "a test knob" } },
  sharedKnobs: [],
  artifact: binaryRecipe,
  ports: "free",
  startCostS: 0.2,
  probeDuringStart: true,
  checkAvailability: async () => ({ ok: true, facts: { definedIn: "a test" } }),
  scripts: (ctx) => ({
    prepare: sh`${scriptHead("plain prepare", ctx.workDir)}rm -f instance.pid exit.json
printf '%s\\n' ${ctx.knobs.plainProcessFolder ?? ""} > knob.txt
`.text,
    start: sh`${scriptHead("plain start", ctx.workDir)}${shellCode(LAUNCH_STAMP_LINE)}
PORT=${ctx.hostPort} setsid ${ctx.artifact} > app.log 2>&1 < /dev/null &
echo $! > instance.pid
`.text,
    stop: sh`${scriptHead("plain stop", ctx.workDir)}pid=$(cat instance.pid)
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
echo '{"exitCode":0,"signal":null,"oomKilled":false}' > exit.json
`.text,
    cleanup:
      sh`${scriptHead("plain cleanup", ctx.workDir)}kill -KILL "$(cat instance.pid 2>/dev/null)" 2>/dev/null || true
`.text,
  }),
  async cleanupLeftovers() {
    cleanedUp.push("asked");
    return [];
  },
};

function revisionWith(platforms: string[], knobs: Record<string, string> = {}): Revision {
  return revisionWithQuick((quick) => ({
    runtimes: ["go"],
    platforms,
    workloads: ["io"],
    resources: [{ cpus: 1, memoryMB: 128 }],
    ttr: { launches: 2, timeoutS: 20 },
    load: { ...quick.load, warmupS: 0, durationS: 1 },
    knobs: { ...quick.knobs, ...knobs },
    repetitions: 1,
    knobVariants: [],
  }));
}

after(() => unregisterPlatform(plainProcess.name));

describe("a platform as a plugin", { timeout: 300_000 }, () => {
  it("a platform defined only in a test runs through the runner end to end", async (t) => {
    const skip = await goSkip();
    if (skip) return t.skip(skip);
    registerPlatform(plainProcess);
    // What a SIGKILLed runner leaves: an active marker naming its instance's cleanup script.
    const killed = join(resultsRoot, "killed-run");
    mkdirSync(join(killed, "active"), { recursive: true });
    writeFileSync(join(killed, "cleanup.sh"), "#!/usr/bin/env bash\nexit 0\n");
    writeFileSync(join(killed, "active", "edgelab-killed-instance"), `${join(killed, "cleanup.sh")}\n`);
    const lines: string[] = [];
    const outcome = await runLab({
      run: {
        kind: "new",
        revision: revisionWith(["plain-process"], { plainProcessFolder: "there" }),
        profileName: "quick",
        selection: {},
      },
      resultsRoot,
      generatorPreference: "autocannon",
      log: (line) => lines.push(line),
    });
    assert.equal(outcome.results.length, 2, "a startup cell and an /io cell");
    for (const cell of outcome.results) {
      assert.equal(cell.status, "ok", `${cell.name}: ${cell.reason}`);
      assert.deepEqual(
        cell.spec.knobs,
        { goMaxProcs: "runtime-default", plainProcessFolder: "there" },
        "the platform's own knob is in the spec, beside the runtime's",
      );
      assert.equal(cell.ttr?.clock, "launch-command", "TTR is clocked from the platform's own launch command");
    }
    assert.ok(cleanedUp.length > 0, "after a killed runner, its leftover sweep ran before the cells");
    assert.match(lines.join("\n"), /removed 1 instance\(s\) an interrupted run left behind/);
    assert.match(lines.join("\n"), /plain-process\s+available/);
    assert.match(lines.join("\n"), /harness floor: \d+\.\d+ ms/);
    const check = validateRun(outcome.runDir);
    assert.deepEqual(check.problems, []);
  });
});

describe("a platform whose launch command fails", { timeout: 300_000 }, () => {
  /** A `docker` that answers like a healthy engine but refuses to start any container. */
  async function brokenDockerPath(): Promise<string> {
    const real = (await run("bash", ["-c", "command -v docker"])).stdout.trim();
    const bin = mkdtempSync(join(tmpdir(), "broken-docker-"));
    const fake = join(bin, "docker");
    writeFileSync(
      fake,
      sh`#!/usr/bin/env bash
if [ "$1" = run ]; then
  echo "docker: Error response from daemon: lab test: this engine refuses every container." >&2
  exit 125
fi
exec ${real} "$@"
`.text,
    );
    chmodSync(fake, 0o755);
    return `${bin}:${process.env.PATH}`;
  }

  async function withPath<T>(path: string, body: () => Promise<T>): Promise<T> {
    const saved = process.env.PATH;
    process.env.PATH = path;
    try {
      return await body();
    } finally {
      process.env.PATH = saved;
    }
  }

  it("is reported unavailable with Docker's own error, in seconds", async (t) => {
    const skip = (await dockerSkip()) || (await goSkip());
    if (skip) return t.skip(skip);
    const path = await brokenDockerPath();
    const started = performance.now();
    const lines: string[] = [];
    const outcome = await withPath(path, () =>
      runLab({
        run: { kind: "new", revision: revisionWith(["docker"]), profileName: "quick", selection: {} },
        resultsRoot,
        generatorPreference: "autocannon",
        log: (line) => lines.push(line),
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    assert.ok(outcome.results.length > 0);
    for (const cell of outcome.results) {
      assert.equal(cell.status, "skipped", cell.name);
      assert.match(cell.reason ?? "", /a trial instance did not start: .*refuses every container/);
    }
    assert.match(lines.join("\n"), /docker\s+skipped: .*refuses every container/);
    // The estimate comes after the trial: the skipped platform's cells are not counted in it.
    const skippedAt = lines.findIndex((l) => /docker\s+skipped/.test(l));
    const estimateAt = lines.findIndex((l) => /estimated/.test(l));
    assert.ok(skippedAt >= 0 && estimateAt > skippedAt, lines.join("\n"));
    assert.match(lines[estimateAt] ?? "", /0 to run, \d+ skipped; estimated 0s/);
    assert.ok(seconds < 120, `found in ${seconds.toFixed(1)} s (mostly the image build)`);
  });

  it("records a single cell's failed start as failed-start with Docker's own error, not a timeout", async (t) => {
    const skip = (await dockerSkip()) || (await goSkip());
    if (skip) return t.skip(skip);
    const path = await brokenDockerPath();
    const revision = revisionWith(["docker"]);
    const started = performance.now();
    const outcome = await withPath(path, () =>
      runLab({
        run: { kind: "new", revision, profileName: "quick", selection: {} },
        onlyCells: ["go-docker-io-1cpu-128mb-r1"],
        resultsRoot,
        generatorPreference: "autocannon",
        log: () => {},
      }),
    );
    const [cell] = outcome.results;
    assert.equal(cell?.status, "failed-start", cell?.reason ?? "");
    assert.match(cell?.reason ?? "", /refuses every container/);
    assert.ok(cell && cell.wallS < 20, `recorded in ${cell?.wallS} s`);
    assert.ok((performance.now() - started) / 1000 < 120);
  });
});
