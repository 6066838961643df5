/**
 * The two-host lab measures its generator's ceiling from the load host: the responder serves on
 * the address that host reaches, the generator runs there over ssh. Here ssh is a stand-in that
 * runs the command on this machine, and the generator is the real wrk.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ceilingFor } from "../../core/load/ceiling";
import { repoRoot } from "../../core/paths";
import { goSkip, skipUnlessTool } from "../../core/testing/requirements";
import { measureCeilings } from "./calibrate";

describe("ceilings measured from the load host", { timeout: 300_000 }, () => {
  it("runs the generator over ssh against the responder on the SUT's address, one ceiling per workload", async (t) => {
    const skip =
      (await goSkip()) || (await skipUnlessTool("bash", ["-c", "command -v wrk"], "needs wrk: apt-get install wrk"));
    if (skip) return t.skip(skip);
    const bin = mkdtempSync(join(tmpdir(), "ssh-standin-"));
    // ssh stand-in: drop the options and the target, run the command here.
    writeFileSync(join(bin, "ssh"), '#!/usr/bin/env bash\nwhile [ "$1" = -o ]; do shift 2; done\nshift\nexec "$@"\n', {
      mode: 0o755,
    });
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      const ceilings = await measureCeilings({
        generators: ["wrk"],
        workloads: ["io"],
        appCpus: [1],
        vus: 8,
        warmupS: 0,
        durationS: 1,
        requestTimeoutS: 5,
        runs: 1,
        outDir: mkdtempSync(join(tmpdir(), "remote-ceiling-")),
        remote: { loadHost: { sshTarget: "root@loadgen.invalid", labDir: repoRoot }, bindAddress: "127.0.0.1" },
      });
      assert.equal(ceilings.length, 1);
      const [ceiling] = ceilings;
      assert.ok(ceiling && ceiling.okRps > 0, `wrk reached ${ceiling?.okRps} ok req/s over ssh`);
      assert.equal(ceiling?.cpuList, null, "the load host's cores are not this machine's");
      assert.match(ceiling?.commandLine ?? "", /\bwrk --threads=\d+ .*http:\/\/127\.0\.0\.1:\d+\/io$/);
      assert.equal(ceilingFor(ceilings, "wrk", "io", null), ceiling, "a remote cell finds it whatever its cores");
    } finally {
      process.env.PATH = saved;
    }
  });
});
