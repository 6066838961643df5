import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseOrThrow } from "../../core/config/errors";
import { RunnableProfileSchema } from "./profile";
import { loadRevision } from "./revision";

const quick = loadRevision("paper-2025").profiles.quick;

function problems(mutate: (p: Record<string, unknown>) => void): string[] {
  const candidate = JSON.parse(JSON.stringify(quick)) as Record<string, unknown>;
  mutate(candidate);
  try {
    parseOrThrow(RunnableProfileSchema, candidate, "profiles.quick");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  return [];
}

describe("profiles", () => {
  it("accept the shipped ones", () =>
    assert.deepEqual(
      problems(() => {}),
      [],
    ));

  it("name the key, the value and what is allowed", () => {
    assert.deepEqual(
      problems((p) => {
        p.platforms = ["docker", "firecracker"];
      }),
      [
        'platforms.1 = "firecracker" is not allowed: no such platform: use one of native, docker, gvisor, microvm, nanos, nanos-direct',
      ],
    );
    const [memory] = problems((p) => {
      p.resources = [{ cpus: 1, memoryMB: 4 }];
    });
    assert.equal(memory, "resources.0.memoryMB = 4 is not allowed: expected 8 or more (MB)");
    const [cpus] = problems((p) => {
      p.resources = [{ cpus: 1.5, memoryMB: 64 }];
    });
    assert.match(cpus ?? "", /^resources\.0\.cpus = 1\.5 is not allowed: expected a whole number/);
  });

  it("require a rate for an open-model load", () => {
    const [problem] = problems((p) => {
      p.load = { ...(p.load as object), executor: "constant-arrival-rate" };
    });
    assert.match(problem ?? "", /^load\.rate = missing is not allowed: constant-arrival-rate needs rate/);
  });

  it("reject repeated values and unknown keys", () => {
    assert.ok(problems((p) => (p.runtimes = ["go", "go"])).some((x) => x.includes("expected no repeats")));
    assert.ok(
      problems((p) => (p.knobs = { cpuMode: "quota", dockerNetwork: "nat", nanosNetwork: "user", gpu: 1 })).some((x) =>
        x.includes("knobs.gpu"),
      ),
    );
  });

  it("name their load generator: quick takes the highest ceiling here, paper keeps k6", () => {
    const profiles = loadRevision("paper-2025").profiles;
    assert.equal(profiles.quick?.generator, "auto");
    assert.equal(profiles.paper?.generator, "k6");
    assert.deepEqual(
      problems((p) => {
        p.generator = "ab";
      }),
      ['generator = "ab" is not allowed: Invalid option: expected one of "k6"|"wrk"|"autocannon"|"auto"'],
    );
  });

  it("pick cross-checked cells by generator and settings", () => {
    assert.deepEqual(
      problems((p) => {
        p.crossCheck = { generator: "autocannon", runtimes: ["go"], workloads: ["io"] };
        p.load = { ...(p.load as object), threads: 4 };
      }),
      [],
    );
    const [runtime] = problems((p) => {
      p.crossCheck = { generator: "wrk", runtimes: ["rust"] };
    });
    assert.match(runtime ?? "", /^crossCheck\.runtimes\.0 = "rust" is not allowed/);
    const [generator] = problems((p) => {
      p.crossCheck = { generator: "auto" };
    });
    assert.match(generator ?? "", /^crossCheck\.generator = "auto" is not allowed/);
  });
});
