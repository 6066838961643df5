import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { run } from "../../core/exec";
import type { LoadSpec } from "../../core/load/types";
import { shellcheckSkip } from "../../core/testing/requirements";
import { parseRemoteOutput, remoteLoadScript, runRemoteLoad } from "./remote";
import { wrkGenerator } from "./wrk";

const spec: LoadSpec = {
  baseUrl: "http://10.0.1.2:8080",
  workload: "io",
  executor: "constant-vus",
  vus: 100,
  warmupS: 10,
  durationS: 30,
  requestTimeoutS: 10,
};
const host = { sshTarget: "root@10.0.1.3", labDir: "/opt/edgelab" };

describe("load from the load generator over SSH", () => {
  it("runs k6/load.js from the lab folder there, its summary in a temporary folder", () => {
    const script = remoteLoadScript(spec, host);
    assert.match(
      script,
      /k6 run --quiet --no-color --no-usage-report -e TARGET_URL=http:\/\/10\.0\.1\.2:8080 -e WORKLOAD=io/,
    );
    assert.match(script, /^cd "\$dir"$/m);
    assert.match(script, / -e SUMMARY_PATH=summary\.json \/opt\/edgelab\/k6\/load\.js/);
    assert.match(script, /\/usr\/bin\/time -f '%e %U %S'/);
  });

  it("runs wrk with a separate warm-up and only the measured run timed, every word quoted", () => {
    const script = remoteLoadScript(
      { ...spec, workload: "compute", baseUrl: "http://10.0.1.2:8080" },
      { ...host, cores: 4 },
      wrkGenerator,
    );
    const lines = script.split("\n");
    const warmup = lines.find((l) => l.startsWith("env LAB_WRK_SUMMARY= "));
    assert.ok(warmup?.includes("--duration=10s"), script);
    const measured = lines.find((l) => l.startsWith("/usr/bin/time "));
    assert.ok(measured?.includes("env LAB_WRK_SUMMARY=summary.json LAB_WRK_METHOD=POST"), measured);
    assert.ok(measured?.includes("--threads=4 --connections=100 --duration=30s --timeout=10s"), measured);
    assert.ok(
      measured?.includes("--script=/opt/edgelab/lab/load/wrk/summary.lua http://10.0.1.2:8080/compute"),
      measured,
    );
    assert.match(script, /^version=\$\(wrk -v 2>&1/m);
  });

  it("generates a script that passes shellcheck", async (t) => {
    const skip = await shellcheckSkip();
    if (skip) return t.skip(skip);
    const path = join(mkdtempSync(join(tmpdir(), "remote-")), "load.sh");
    writeFileSync(path, remoteLoadScript({ ...spec, executor: "constant-arrival-rate", rate: 5000 }, host));
    await run("shellcheck", ["--severity=style", path]);
    writeFileSync(path, remoteLoadScript({ ...spec, workload: "compute" }, host, wrkGenerator));
    await run("shellcheck", ["--severity=style", path]);
  });

  it("parses what the script prints", () => {
    const out = parseRemoteOutput(
      [
        "@@edgelab log",
        "running",
        "@@edgelab version k6 v1.3.0 (commit/abc, go1.24.6, linux/amd64)",
        "@@edgelab time 31.02 20.5 4.3",
        "@@edgelab cores 4",
        "@@edgelab status 0",
        "@@edgelab summary",
        '{"a":1}',
        "",
      ].join("\n"),
    );
    assert.deepEqual(out, {
      log: "running",
      versionLine: "k6 v1.3.0 (commit/abc, go1.24.6, linux/amd64)",
      time: { elapsed: 31.02, user: 20.5, sys: 4.3 },
      cores: 4,
      status: 0,
      summary: '{"a":1}',
    });
  });

  it("runs end to end through ssh (stand-ins for ssh and k6)", async () => {
    const bin = mkdtempSync(join(tmpdir(), "remote-bin-"));
    // ssh stand-in: drop the options and the target, run the command here.
    writeFileSync(join(bin, "ssh"), '#!/usr/bin/env bash\nwhile [ "$1" = -o ]; do shift 2; done\nshift\nexec "$@"\n', {
      mode: 0o755,
    });
    writeFileSync(
      join(bin, "k6"),
      `#!/usr/bin/env bash
if [ "$1" = version ]; then echo "k6 v1.3.0 (commit/abc, go1.24.6, linux/amd64)"; exit 0; fi
for a in "$@"; do case "$a" in SUMMARY_PATH=*) out=\${a#SUMMARY_PATH=};; esac; done
cat > "$out" <<'JSON'
{"generator":"k6","generatorVersion":null,"url":"http://10.0.1.2:8080/io","workload":"io","executor":"constant-vus","vus":100,"rate":null,"warmupS":10,"durationS":30,"requests":3000,"failedRequests":0,"timeouts":0,"droppedIterations":0,"throughputRps":100,"okThroughputRps":100,"latencyMs":{"mean":1,"stddev":0.1,"min":0.5,"p50":1,"p90":1.2,"p95":1.3,"p99":1.5,"max":3}}
JSON
echo done
`,
      { mode: 0o755 },
    );
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      const outDir = mkdtempSync(join(tmpdir(), "remote-out-"));
      const result = await runRemoteLoad(spec, outDir, host);
      assert.equal(result.summary.requests, 3000);
      assert.equal(result.summary.generatorVersion, "1.3.0");
      assert.ok(result.generatorCpu.coresAvailable >= 1);
      assert.ok(existsSync(join(outDir, "load-summary.json")) && existsSync(join(outDir, "load.log")));
      assert.ok(existsSync(join(outDir, "load-command.sh")));
      assert.match(result.commandLine, /^k6 run --quiet .* \/opt\/edgelab\/k6\/load\.js$/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
