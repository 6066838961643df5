/**
 * Faults of the host under a sweep, in one short startup-only run on this machine:
 * - another process holds an instance's port when it starts: that cell is a failed start that
 *   names the port and the holder, and the sweep goes on;
 * - qemu leaves the runner's PATH between cells (a PATH of links, one removed): the microVM cell
 *   that meets it is a lab-error with the reason, the platform's later cells are skipped with it,
 *   the other platforms go on.
 * Nothing of the lab is left running. The port holder is a real process on the real port; the
 * platform that starts it is native's own scripts with it added to prepare (a test may register
 * a platform, lab/runner/plugin.integration.test.ts).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Revision } from "../../core/config/revision";
import { hasCommand } from "../../core/exec";
import { sh, shellCode } from "../../core/shell";
import { goSkip } from "../../core/testing/requirements";
import { testRunId } from "../../core/testing/runIds";
import { adHocContext } from "../platforms/context";
import { writeInstanceScripts } from "../platforms/instance";
import { QEMU_X86 } from "../platforms/kvm";
import { labQemuPids } from "../platforms/labVm";
import { nativePlatform } from "../platforms/native";
import { registerPlatform, unregisterPlatform } from "../platforms/registry";
import type { Platform } from "../platforms/types";
import { freePort } from "../ports";
import { cleanLeftovers } from "../results/store";
import { validateRun } from "../results/validate";
import { livePidsUnder, mountTmpfs, processesInRunCgroups, processesUsing } from "../testing/faults";
import { revisionWithQuick } from "../testing/labRuns";
import { runLab } from "./runner";

/** Run ids unique to this copy of the test: they name its instances and scope their clean-up. */
const hostFaultsId = testRunId("host-faults");
const fullDiskId = testRunId("full-disk");

const work = mkdtempSync(join(tmpdir(), "faults-platforms-it-"));
const HOLDER_PID = "port-holder.pid";
/** The Go binary the first test's run built (its manifest names it). */
let goBinary: string | undefined;

/** Native, except that its prepare starts another process on the instance's port (trials excepted, so the platform counts as available). */
const takenPort: Platform = {
  ...nativePlatform,
  name: "taken-port",
  description: "native, with another process on the instance's port when it starts (defined in a test)",
  scripts(ctx) {
    const scripts = nativePlatform.scripts(ctx);
    if (ctx.instanceName.includes("-trial-")) return scripts;
    const holder = `require("net").createServer((s) => s.destroy()).listen(Number(process.argv[1]), process.argv[2], () => require("fs").writeFileSync("port-holder.ready", ""))`;
    return {
      ...scripts,
      prepare: sh`${shellCode(scripts.prepare)}
rm -f port-holder.ready
setsid ${process.execPath} -e ${holder} ${ctx.hostPort} ${ctx.bindAddress} > /dev/null 2>&1 < /dev/null &
echo $! > ${HOLDER_PID}
for _ in $(seq 1 500); do [ -e port-holder.ready ] && exit 0; sleep 0.01; done
echo "the port holder did not start" >&2
exit 1
`.text,
    };
  },
};

/** A PATH of links to every program on this one, so one can be taken away without touching the system. */
function linkedPath(): string {
  const bin = join(work, "path");
  mkdirSync(bin);
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        symlinkSync(join(dir, name), join(bin, name));
      } catch {
        // an earlier folder of PATH has it: that one wins, as on the PATH itself
      }
    }
  }
  return bin;
}

function revisionWith(platforms: string[]): Revision {
  return revisionWithQuick(() => ({
    runtimes: ["go"],
    platforms,
    workloads: ["io"],
    resources: [{ cpus: 1, memoryMB: 256, workloads: ["startup"] }],
    ttr: { launches: 1, timeoutS: 60 },
    repetitions: 3,
    knobVariants: [],
    allowEmulation: true, // no KVM on CI hosts: the microVM boots under TCG
  }));
}

const savedPath = process.env.PATH;
after(() => {
  process.env.PATH = savedPath;
  unregisterPlatform(takenPort.name);
  for (const pid of livePidsUnder(work, [HOLDER_PID])) process.kill(pid, "SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

describe("faults of the host under a sweep", { timeout: 300_000 }, () => {
  it("a port taken by another process is a failed start naming it; qemu gone from PATH between cells makes that microVM cell a lab-error and skips the platform's later cells; the other cells go on", async (t) => {
    const skip = (await goSkip()) || (!(await hasCommand(QEMU_X86, ["--version"])) && `${QEMU_X86} is not installed`);
    if (skip) return t.skip(skip);
    registerPlatform(takenPort);
    const bin = linkedPath();
    process.env.PATH = bin;
    const qemusBefore = new Set(labQemuPids().map((q) => q.pid));
    const lines: string[] = [];
    let lost: string | undefined;
    const outcome = await runLab({
      run: {
        kind: "new",
        revision: revisionWith(["taken-port", "native", "microvm"]),
        profileName: "quick",
        selection: {},
        runId: hostFaultsId,
      },
      resultsRoot: join(work, "results"),
      generatorPreference: null,
      log: (line) => {
        lines.push(line);
        // Between cells: right after the first microVM cell is recorded, qemu goes away.
        if (lost === undefined && /^\[\d+\/\d+\] go-microvm-startup/.test(line)) {
          rmSync(join(bin, QEMU_X86));
          lost = line;
        }
      },
    });
    const text = lines.join("\n");
    const manifest = JSON.parse(readFileSync(join(outcome.runDir, "manifest.json"), "utf8"));
    goBinary = manifest.artifacts.find(
      (a: { runtime: string; kind: string }) => a.runtime === "go" && a.kind === "binary",
    )?.ref;
    const byName = new Map(outcome.results.map((c) => [c.name, c]));
    const cell = (name: string) => {
      const found = byName.get(name);
      assert.ok(found, `${name} was recorded:\n${text}`);
      return found;
    };
    assert.equal(outcome.results.length, 9, text);
    for (const c of outcome.results) t.diagnostic(`${c.name}: ${c.status}${c.reason ? `: ${c.reason}` : ""}`);

    for (const r of [1, 2, 3]) {
      const taken = cell(`go-taken-port-startup-1cpu-256mb-r${r}`);
      assert.equal(taken.status, "failed-start", `${taken.name}: ${taken.status} ${taken.reason}`);
      assert.match(
        taken.reason ?? "",
        /^port \d+ on 127\.0\.0\.1 was taken by node \(pid \d+\) when the instance started/,
      );
      const native = cell(`go-native-startup-1cpu-256mb-r${r}`);
      assert.equal(native.status, "ok", `the sweep goes on: ${native.name}: ${native.reason}`);
    }

    assert.ok(lost, `a microVM cell ran before qemu went away:\n${text}`);
    assert.equal(
      cell("go-microvm-startup-1cpu-256mb-r1").status,
      "ok",
      cell("go-microvm-startup-1cpu-256mb-r1").reason ?? "",
    );
    const hit = cell("go-microvm-startup-1cpu-256mb-r2");
    assert.equal(hit.status, "lab-error", `${hit.status}: ${hit.reason}`);
    assert.match(hit.reason ?? "", /then microvm failed its check: microvm: qemu-system-x86_64 not installed/);
    const later = cell("go-microvm-startup-1cpu-256mb-r3");
    assert.equal(later.status, "skipped");
    assert.match(
      later.reason ?? "",
      /^microvm: qemu-system-x86_64 not installed \(found after go-microvm-startup-1cpu-256mb-r2\)/,
    );
    assert.match(text, /microvm went away during the sweep: its later cells are skipped/);

    // Nothing of the lab runs: no instance, no lab qemu of this run, the lock released; the holders are the test's to end.
    assert.deepEqual(livePidsUnder(outcome.runDir), []);
    assert.deepEqual(
      labQemuPids().filter((q) => !qemusBefore.has(q.pid) && q.name.includes(hostFaultsId)),
      [],
    );
    // The microVM cell that met the missing qemu stays marked for the next run's cleanup, nothing else.
    const marked = readdirSync(join(outcome.runDir, "active"));
    assert.ok(
      marked.every((m) => m.startsWith(`unconfirmed-${hit.id}-`)),
      JSON.stringify(marked),
    );
    await cleanLeftovers(join(work, "results"));
    assert.deepEqual(readdirSync(join(outcome.runDir, "active")), []);
    assert.equal(readdirSync(outcome.runDir).includes("lab.lock"), false);
    const holders = livePidsUnder(outcome.runDir, [HOLDER_PID]);
    assert.equal(holders.length, 3, "each taken-port cell met its holder");
    for (const pid of holders) process.kill(pid, "SIGKILL");
    const check = validateRun(outcome.runDir);
    assert.deepEqual(check.problems, []);
    assert.deepEqual(check.missing, []);
  });
  it("native on a full disk: an app whose pid cannot be recorded is ended at once, never left running untracked", async (t) => {
    if (!goBinary) return t.skip("the first test did not build the Go binary");
    const disk = join(work, "small");
    mkdirSync(disk);
    const unmount = mountTmpfs(disk, "256k");
    if (!unmount) return t.skip("cannot mount a tmpfs here (needs root)");
    try {
      const ctx = await adHocContext({
        platform: nativePlatform,
        runtime: "go",
        artifact: goBinary,
        hostPort: await freePort(),
        workDir: join(disk, "instance"),
        resources: { cpus: 1, memoryMB: 128 },
        runId: fullDiskId,
      });
      const paths = writeInstanceScripts(nativePlatform.scripts(ctx), ctx.workDir);
      assert.equal(spawnSync("bash", [paths.prepare]).status, 0);
      // The disk fills between prepare and start: the supervisor cannot write instance.pid.
      spawnSync("dd", ["if=/dev/zero", `of=${join(disk, "filler")}`, "bs=4k"]);
      const start = spawnSync("bash", [paths.start], { encoding: "utf8" });
      assert.notEqual(start.status, 0, "the start reports that the app did not start");
      assert.match(start.stderr, /no instance\.pid/);
      spawnSync("bash", [paths.cleanup]);
      await sleep(200);
      assert.deepEqual(processesUsing(disk), [], "nothing runs from the instance's folder");
      assert.deepEqual(processesInRunCgroups(fullDiskId), []);
    } finally {
      unmount();
    }
  });
});
