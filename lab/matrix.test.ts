import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalJson, cellId } from "../core/matrix";
import { loadRevision } from "./config/revision";
import { expandMatrix } from "./matrix";

const revision = loadRevision("paper-2025");
const paper = revision.profiles.paper;
const quick = revision.profiles.quick;
if (!paper || !quick) throw new Error("the paper revision must define paper and quick");

describe("the matrix", () => {
  it("spans the paper's design: runtime x platform x (startup, io, compute) x 5 resource levels x 3 repetitions", () => {
    const cells = expandMatrix(paper, revision.id);
    assert.equal(cells.length, 2 * 2 * 3 * 5 * 3);
    const levels = new Set(cells.map((c) => `${c.spec.cpus}/${c.spec.memoryMB}`));
    assert.deepEqual([...levels], ["8/2048", "1/512", "1/256", "1/128", "1/64"]);
    const load = cells.find((c) => c.spec.workload === "io")?.spec.load;
    assert.deepEqual(load, { executor: "constant-vus", vus: 100, warmupS: 10, durationS: 30, requestTimeoutS: 10 });
    assert.equal(cells.find((c) => c.spec.workload === "startup")?.spec.ttr?.launches, 10);
  });

  it("gives every cell a distinct id that only its spec decides", () => {
    const cells = expandMatrix(paper, revision.id);
    assert.equal(new Set(cells.map((c) => c.id)).size, cells.length);
    const again = expandMatrix(paper, revision.id);
    assert.deepEqual(
      again.map((c) => c.id),
      cells.map((c) => c.id),
    );
    for (const cell of cells) assert.equal(cell.id, cellId(cell.spec));
  });

  it("hashes specs independently of key order", () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 4, e: 5 }] } }),
      '{"a":{"c":[3,{"e":5,"f":4}],"d":2},"b":1}',
    );
  });

  it("re-runs only the cells a knob change touches", () => {
    const before = expandMatrix(quick, revision.id);
    const after = expandMatrix({ ...quick, knobs: { ...quick.knobs, nanosNetwork: "bridged" } }, revision.id);
    const changed = after.filter((c, i) => c.id !== before[i]?.id);
    assert.ok(changed.length > 0);
    assert.ok(changed.every((c) => c.spec.platform === "nanos"));
  });

  it("runs repetitions outermost and the platforms of one scenario side by side", () => {
    const cells = expandMatrix({ ...quick, repetitions: 2 }, revision.id);
    const firstRep2 = cells.findIndex((c) => c.spec.repetition === 2);
    assert.ok(cells.slice(0, firstRep2).every((c) => c.spec.repetition === 1));
    assert.deepEqual(
      cells.slice(0, 3).map((c) => c.name),
      ["go-native-startup-1cpu-256mb-r1", "go-docker-startup-1cpu-256mb-r1", "go-gvisor-startup-1cpu-256mb-r1"],
    );
  });

  it("keeps only the selected part", () => {
    const cells = expandMatrix(quick, revision.id, { runtimes: ["node"], platforms: ["docker"], memoryMB: [16] });
    assert.deepEqual(
      cells.map((c) => c.name),
      [1, 2, 3].flatMap((r) => [
        `node-docker-compute-1cpu-16mb-r${r}`,
        `node-docker-compute-1cpu-16mb-nodeHeap-fit-r${r}`,
      ]),
    );
  });

  it("repeats each cell with each knob variant that applies to it, named by what it changes", () => {
    const profile = {
      ...quick,
      platforms: ["native", "docker"],
      resources: [{ cpus: 1, memoryMB: 128 }],
      ttr: { ...quick.ttr, launches: 0 },
      repetitions: 1,
      knobVariants: [{ goMaxProcs: "cpus" }, { dockerNetwork: "host" }] as Record<string, string>[],
    };
    const names = expandMatrix(profile, revision.id, { workloads: ["io"] }).map((c) => c.name);
    assert.deepEqual(names, [
      "go-native-io-1cpu-128mb-r1",
      "go-docker-io-1cpu-128mb-r1",
      "go-native-io-1cpu-128mb-goMaxProcs-cpus-r1",
      "go-docker-io-1cpu-128mb-goMaxProcs-cpus-r1",
      "go-docker-io-1cpu-128mb-dockerNetwork-host-r1",
      "node-native-io-1cpu-128mb-r1",
      "node-docker-io-1cpu-128mb-r1",
      "node-docker-io-1cpu-128mb-dockerNetwork-host-r1",
    ]);
  });

  it("runs a resource level only for the runtimes and workloads it names", () => {
    const profile = {
      ...quick,
      platforms: ["native"],
      resources: [
        { cpus: 1, memoryMB: 256, workloads: ["startup" as const, "io" as const] },
        { cpus: 1, memoryMB: 16, runtimes: ["node" as const], workloads: ["compute" as const] },
      ],
      repetitions: 1,
      knobVariants: [],
    };
    assert.deepEqual(
      expandMatrix(profile, revision.id).map((c) => c.name),
      [
        "go-native-startup-1cpu-256mb-r1",
        "go-native-io-1cpu-256mb-r1",
        "node-native-startup-1cpu-256mb-r1",
        "node-native-io-1cpu-256mb-r1",
        "node-native-compute-1cpu-16mb-r1",
      ],
    );
  });
});
