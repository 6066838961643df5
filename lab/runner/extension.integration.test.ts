/**
 * A runtime and a workload are described once: a third runtime (`script`) and a third workload
 * (`hello`), each in files of its own (lab/testing/thirdRuntime/), registered, run through the
 * profile check, the matrix, the runner and the report, with nothing else edited.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { generateReport } from "../../analysis/report";
import { isWorkload, registerWorkload, unregisterWorkload, workloadNames } from "../../workloads/endpoints";
import { getRuntime, registerRuntime, runtimeNames, unregisterRuntime } from "../../workloads/runtimes/registry";
import { registryProblems } from "../config/profile";
import { expandMatrix } from "../matrix";
import { validateRun } from "../results/validate";
import { revisionWithQuick } from "../testing/labRuns";
import { helloWorkload, scriptRuntime } from "../testing/thirdRuntime/runtime";
import { runLab } from "./runner";

const root = mkdtempSync(join(tmpdir(), "extension-it-"));
registerRuntime(scriptRuntime);
registerWorkload(helloWorkload);
after(() => {
  unregisterRuntime(scriptRuntime.name);
  unregisterWorkload(helloWorkload.name);
  rmSync(root, { recursive: true, force: true });
});

const revision = revisionWithQuick((quick) => ({
  runtimes: ["script"],
  platforms: ["native"],
  workloads: ["hello"],
  resources: [
    { cpus: 1, memoryMB: 256, workloads: ["startup", "hello"] },
    { cpus: 1, memoryMB: 128, workloads: ["hello"], knobVariants: false },
  ],
  ttr: { launches: 2, timeoutS: 20 },
  load: { ...quick.load, vus: 4, warmupS: 0, durationS: 1 },
  knobVariants: [{ scriptGreeting: "loud" }],
  repetitions: 2,
}));
const profile = revision.profiles.quick;
if (!profile) throw new Error("no quick profile");

describe("a third runtime and a third workload, in files of their own", { timeout: 300_000 }, () => {
  it("are known to the registries, and an unknown runtime is a named error", () => {
    assert.deepEqual(runtimeNames(), ["go", "node", "script"]);
    assert.deepEqual(workloadNames(), ["io", "compute", "hello"]);
    assert.throws(() => getRuntime("rust"), /^Error: unknown runtime "rust": use one of go, node, script$/);
    assert.deepEqual(registryProblems(profile), [], "the profile passes the registries' check");
    assert.deepEqual(
      registryProblems({ ...profile, runtimes: ["rust"] }).map((p) => p.message),
      ["no such runtime: use one of go, node, script"],
    );
  });

  it("run through the matrix, the runner and the report", async () => {
    const cells = expandMatrix(profile, revision.id);
    assert.deepEqual(
      cells.filter((c) => c.spec.repetition === 1).map((c) => c.name),
      [
        "script-native-startup-1cpu-256mb-r1",
        "script-native-startup-1cpu-256mb-scriptGreeting-loud-r1",
        "script-native-hello-1cpu-256mb-r1",
        "script-native-hello-1cpu-256mb-scriptGreeting-loud-r1",
        "script-native-hello-1cpu-128mb-r1",
      ],
    );
    const lines: string[] = [];
    const outcome = await runLab({
      run: { kind: "new", revision, profileName: "quick", selection: {} },
      resultsRoot: join(root, "results"),
      generatorPreference: "autocannon",
      log: (line) => lines.push(line),
    });
    assert.equal(outcome.results.length, cells.length, lines.join("\n"));
    for (const cell of outcome.results) {
      assert.equal(cell.status, "ok", `${cell.name}: ${cell.reason}`);
      assert.equal(cell.appInfo?.runtime ?? "script", "script");
      if (cell.spec.workload === "hello") {
        assert.ok((cell.load?.requests ?? 0) > 0, `${cell.name} was loaded`);
        assert.match(cell.load?.url ?? "", /\/hello$/);
        assert.equal(cell.load?.failedRequests, 0);
      }
    }
    assert.deepEqual(validateRun(outcome.runDir).problems, []);

    const report = await generateReport({ runDirs: [outcome.runDir], reportsRoot: join(root, "reports") });
    const csv = readFileSync(report.csv, "utf8");
    assert.match(csv, /script,native,hello/, "the tidy CSV has the new runtime's and workload's rows");
    const markdown = readFileSync(report.markdown, "utf8");
    assert.match(markdown, /script/);
    assert.match(markdown, /hello/);
    assert.ok(isWorkload("hello"));
  });
});
