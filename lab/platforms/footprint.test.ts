/**
 * The footprint samples file read back: a gVisor instance's samples as the sampler wrote them
 * (fixtures/footprint-gvisor-node-40m.tsv: Node under runsc at 40 MB on this lab's Debian host,
 * cgroup v1), and a file of the older three-column sampler, which reads as it always did.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseFootprint } from "./footprint";

const gvisor = readFileSync(join(__dirname, "fixtures", "footprint-gvisor-node-40m.tsv"), "utf8");

describe("the footprint samples", () => {
  it("a gVisor instance: the sandbox's RSS and PSS, the cgroup's sampled and own peaks, the gofer and stubs' PSS", () => {
    const f = parseFootprint(gvisor);
    assert.ok(f);
    assert.equal(f.samples, 7);
    assert.equal(f.rssPeakBytes, 38156 * 1024);
    assert.equal(f.cgroupPeakBytes, 35942400);
    assert.equal(f.cgroupMaxBytes, 35958784);
    assert.equal(f.pssPeakBytes, 27220 * 1024);
    // The median: one sample read while the stubs changed counts them apart (196 MB), the others do not.
    assert.equal(f.othersPssMedianBytes, 80218 * 1024);
  });

  it("a file of the older sampler (three columns) has no new field; a - is no value", () => {
    const f = parseFootprint("1\t1000\t-\n2\t2000\t4096\n");
    assert.deepEqual(f, {
      samples: 2,
      rssPeakBytes: 2000 * 1024,
      rssMeanBytes: 1500 * 1024,
      cgroupPeakBytes: 4096,
      cgroupMeanBytes: 4096,
    });
    const dashes = parseFootprint("1\t1000\t-\t-\t-\t-\n");
    assert.deepEqual([dashes?.cgroupMaxBytes, dashes?.pssPeakBytes, dashes?.othersPssMedianBytes], [null, null, null]);
  });
});
