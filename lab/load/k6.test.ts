import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { LoadSpec } from "../../core/load/types";
import { repoRoot } from "../../core/paths";
import {
  k6Argv,
  k6CommandLine,
  k6Generator,
  LoadSpecError,
  parseK6Output,
  parseK6Version,
  readK6Summary,
  validateLoadSpec,
} from "./k6";
import { filterLogText } from "./logSink";

const spec: LoadSpec = {
  baseUrl: "http://10.0.0.2:8080",
  workload: "io",
  executor: "constant-vus",
  vus: 100,
  warmupS: 10,
  durationS: 30,
  requestTimeoutS: 10,
};
const paths = { scriptPath: "k6/load.js", summaryPath: "/tmp/cell.json", k6Version: "1.3.0" };

describe("k6Argv", () => {
  it("passes every parameter as -e, without RATE for constant VUs", () => {
    assert.deepEqual(k6Argv({ ...spec, rate: 500 }, paths), [
      "run",
      "--quiet",
      "--no-color",
      "--no-usage-report",
      ...["-e", "TARGET_URL=http://10.0.0.2:8080", "-e", "WORKLOAD=io", "-e", "EXECUTOR=constant-vus"],
      ...["-e", "VUS=100", "-e", "DURATION_S=30", "-e", "WARMUP_S=10", "-e", "REQUEST_TIMEOUT=10s"],
      ...["-e", "SUMMARY_PATH=/tmp/cell.json", "-e", "K6_VERSION=1.3.0", "k6/load.js"],
    ]);
  });

  it("adds RATE for the arrival-rate executor and leaves K6_VERSION out when unknown", () => {
    const argv = k6Argv(
      { ...spec, executor: "constant-arrival-rate", rate: 5000, warmupS: 0 },
      {
        ...paths,
        k6Version: null,
      },
    );
    assert.deepEqual(argv.slice(4, -1), [
      ...["-e", "TARGET_URL=http://10.0.0.2:8080", "-e", "WORKLOAD=io", "-e", "EXECUTOR=constant-arrival-rate"],
      ...["-e", "VUS=100", "-e", "RATE=5000", "-e", "DURATION_S=30", "-e", "WARMUP_S=0"],
      ...["-e", "REQUEST_TIMEOUT=10s", "-e", "SUMMARY_PATH=/tmp/cell.json"],
    ]);
    assert.equal(argv.at(-1), "k6/load.js");
  });

  it("quotes the one-line form for a shell", () => {
    const line = k6CommandLine(spec, { ...paths, summaryPath: "/tmp/my cell.json" }, "/usr/local/bin/k6");
    assert.ok(line.startsWith("/usr/local/bin/k6 run --quiet --no-color --no-usage-report -e TARGET_URL="));
    assert.ok(line.includes(" -e 'SUMMARY_PATH=/tmp/my cell.json' "), line);
    assert.ok(line.endsWith(" k6/load.js"));
  });
});

describe("validateLoadSpec", () => {
  const rejects = (change: Partial<LoadSpec>, message: RegExp) =>
    assert.throws(
      () => validateLoadSpec({ ...spec, ...change }),
      (e: unknown) => e instanceof LoadSpecError && message.test(e.message),
    );

  it("names the field, the value and what is allowed", () => {
    rejects({ vus: 0 }, /^load spec vus = 0 is not allowed: use a whole number of 1 or more$/);
    rejects({ vus: 1.5 }, /vus = 1.5 is not allowed/);
    rejects({ durationS: Number.NaN }, /durationS = NaN is not allowed: use a whole number of 1 or more/);
    rejects({ warmupS: -1 }, /warmupS = -1 is not allowed: use a whole number of 0 or more/);
    rejects({ requestTimeoutS: 0.5 }, /requestTimeoutS = 0.5 is not allowed: use a number of seconds of 1 or more/);
    rejects(
      { workload: "../disk" },
      /workload = "\.\.\/disk" is not allowed: use a workload name such as io or compute/,
    );
    rejects(
      { executor: "ramping-vus" as LoadSpec["executor"] },
      /executor = "ramping-vus" is not allowed: use constant-vus or constant-arrival-rate/,
    );
    rejects({ baseUrl: "http://10.0.0.2:8080/" }, /baseUrl = "http:\/\/10.0.0.2:8080\/" is not allowed: use an http/);
    rejects({ baseUrl: "10.0.0.2:8080" }, /baseUrl/);
  });

  it("needs a whole-number rate only for the arrival-rate executor", () => {
    rejects({ executor: "constant-arrival-rate" }, /rate = missing is not allowed: use a whole number of 1 or more/);
    rejects({ executor: "constant-arrival-rate", rate: 0 }, /rate = 0 is not allowed/);
    validateLoadSpec({ ...spec, rate: 0 });
    assert.throws(() => k6Argv({ ...spec, vus: 0 }, paths), LoadSpecError);
  });
});

describe("parseK6Version", () => {
  // Captured `k6 version` output of the releases the lab meets.
  it("reads k6 v1 and v0 first lines", () => {
    assert.equal(parseK6Version("k6 v1.3.0 (commit/5870e99ae8, go1.24.6, linux/amd64)\n"), "1.3.0");
    assert.equal(
      parseK6Version("k6 v0.49.0 (2024-01-29T13:12:34+0000/v0.49.0-0-g5ae5e2c4, go1.21.6, linux/amd64)\n"),
      "0.49.0",
    );
    assert.equal(parseK6Version("k6 v1.0.0-rc1 (commit/devel, go1.24.2, linux/arm64)"), "1.0.0-rc1");
  });

  it("ignores the extension lines that may follow", () => {
    const output = [
      "k6 v1.3.0 (commit/devel, go1.24.6, linux/amd64)",
      "Extensions:",
      "  github.com/grafana/xk6-dashboard v0.7.5, k6/x/dashboard [output]",
      "",
    ].join("\n");
    assert.equal(parseK6Version(output), "1.3.0");
  });

  it("returns null for anything else", () => {
    assert.equal(parseK6Version(""), null);
    assert.equal(parseK6Version("bash: k6: command not found"), null);
    assert.equal(parseK6Version("xk6 v0.13.0 (linux/amd64)"), null);
  });
});

describe("readK6Summary", () => {
  const dir = mkdtempSync(join(os.tmpdir(), "k6-summary-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const valid = {
    generator: "k6",
    generatorVersion: "1.3.0",
    url: "http://10.0.0.2:8080/io",
    workload: "io",
    executor: "constant-vus",
    vus: 100,
    rate: null,
    warmupS: 10,
    durationS: 30,
    requests: 3,
    failedRequests: 1,
    timeouts: 1,
    droppedIterations: 0,
    throughputRps: 0.1,
    okThroughputRps: 2 / 30,
    latencyMs: { mean: 2, stddev: 0.8, min: 1, p50: 2, p90: 2.8, p95: 2.9, p99: 2.98, max: 3 },
  };
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it("reads a valid summary", () => {
    assert.deepEqual(readK6Summary(write("ok.json", JSON.stringify(valid))), valid);
  });

  it("reads what k6/load.js's handleSummary writes", () => {
    // The script's own logic under Node, with stand-ins for its k6 imports (as k6/load.test.ts does).
    const body = readFileSync(join(repoRoot, "k6", "load.js"), "utf8")
      .replace(/^import .*$/gm, "")
      .replace(/^export default function/m, "function main")
      .replace(/^export (const|function)/gm, "$1");
    const summaryPath = join(dir, "from-script.json");
    const env = { SUMMARY_PATH: summaryPath, EXECUTOR: "constant-arrival-rate", RATE: "200", K6_VERSION: "1.3.0" };
    const script = new Function("__ENV", "http", "Counter", `${body}\nreturn { handleSummary };`)(
      env,
      {},
      class {},
    ) as {
      handleSummary: (data: unknown) => Record<string, string>;
    };
    const files = script.handleSummary({ metrics: {} });
    writeFileSync(summaryPath, files[summaryPath] ?? "");
    const summary = readK6Summary(summaryPath);
    assert.equal(summary.rate, 200);
    assert.equal(summary.requests, 0);
    assert.equal(summary.latencyMs.p95, null);
  });

  it("names the file and the bad field", () => {
    const path = write("bad.json", JSON.stringify({ ...valid, requests: -1, extra: true }));
    assert.throws(
      () => readK6Summary(path),
      (e: unknown) =>
        e instanceof Error &&
        e.message.includes(path) &&
        /requests = -1 is not allowed/.test(e.message) &&
        /extra: unknown key/.test(e.message),
    );
  });

  it("names the file when it is missing or not JSON", () => {
    const notJson = write("truncated.json", '{"generator": "k6",');
    assert.throws(
      () => readK6Summary(notJson),
      (e: unknown) => e instanceof Error && e.message.includes(notJson),
    );
    const missing = join(dir, "missing.json");
    assert.throws(
      () => readK6Summary(missing),
      (e: unknown) => e instanceof Error && e.message.includes(missing),
    );
  });
});

describe("parseK6Output (real k6 v1.3.0 output, fixtures/k6-1.3.0)", () => {
  const fixtures = join(__dirname, "fixtures", "k6-1.3.0");
  const captured = (name: string) => ({
    summaryText: readFileSync(join(fixtures, name, "load-summary.json"), "utf8"),
    log: "",
  });
  const cellSpec: LoadSpec = { ...spec, vus: 16, warmupS: 1, durationS: 3 };

  it("keeps a healthy Go /io cell as k6 wrote it", () => {
    const summary = parseK6Output(captured("ok-go-io"), cellSpec, "1.3.0");
    assert.equal(summary.requests, 34742);
    assert.equal(summary.okThroughputRps, 11580.666666666666);
    assert.equal(summary.latencyMs.p99, 8.330485999999965);
    assert.equal(parseK6Version(readFileSync(join(fixtures, "k6-version.txt"), "utf8")), "1.3.0");
  });

  it("gives the OOM-killed Node cell null latency and ok throughput 0, not the refused connections' 0 ms", () => {
    const raw = JSON.parse(captured("oom-node-io").summaryText);
    assert.equal(raw.latencyMs.mean, 0, "what the old load.js wrote");
    const summary = parseK6Output(captured("oom-node-io"), cellSpec, "1.3.0");
    assert.equal(summary.okThroughputRps, 0);
    assert.equal(summary.failedRequests, 47588);
    assert.deepEqual(Object.values(summary.latencyMs), [null, null, null, null, null, null, null, null]);
  });

  it("counts k6's per-request warnings out of load.log", () => {
    const excerpt = readFileSync(join(fixtures, "oom-node-io", "load.log.excerpt"), "utf8");
    const { text, dropped } = filterLogText(excerpt, k6Generator.perRequestLogLine);
    const warnings = excerpt.split("\n").filter((l) => l.includes('msg="Request Failed"')).length;
    assert.ok(warnings > 50, `${warnings} warnings in the excerpt`);
    assert.equal(dropped, warnings);
    assert.doesNotMatch(text.split("\n").slice(0, -1).join("\n"), /Request Failed/);
    assert.match(text, new RegExp(`\\[lab\\] ${warnings} per-request line\\(s\\) left out`));
    assert.match(text, /^\{"requests":47588,"throughputRps":15862.666666666666,"failed":47588\}$/m, "the rest is kept");
  });
});
