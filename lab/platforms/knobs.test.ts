import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { appEnvironment, knobCatalogue, knobProblems, knobsFor } from "./knobs";
import { allPlatforms, getPlatform, knobsAtDefaults } from "./registry";

describe("knobs", () => {
  it("each platform declares its own; the registry refuses a name declared twice", () => {
    const catalogue = knobCatalogue(allPlatforms());
    assert.equal(catalogue.get("dockerNetwork")?.owner, "docker");
    assert.equal(catalogue.get("cpuMode")?.owner, "shared");
    assert.equal(catalogue.get("goMaxProcs")?.owner, "go");
    const twin = { ...getPlatform("docker"), name: "twin" };
    assert.throws(
      () => knobCatalogue([...allPlatforms(), twin]),
      /knob dockerNetwork is declared by both docker and twin/,
    );
  });

  it("a cell keeps only the knobs that apply to its platform and runtime, defaults filled in", () => {
    const chosen = { dockerNetwork: "host", nanosNetwork: "bridged", nodeHeap: "fit" };
    assert.deepEqual(knobsFor(getPlatform("docker"), chosen, "go"), {
      cpuMode: "quota",
      goMaxProcs: "runtime-default",
      dockerNetwork: "host",
    });
    assert.deepEqual(knobsFor(getPlatform("native"), chosen, "node"), { nodeHeap: "fit" });
  });

  it("name the knob and what is allowed", () => {
    assert.deepEqual(knobProblems({ cpuMode: "turbo", gpu: "1" }, allPlatforms()), [
      { knob: "cpuMode", allowed: "use one of quota, pinned" },
      {
        knob: "gpu",
        allowed: `no such knob: use one of ${[...knobCatalogue(allPlatforms()).keys()].join(", ")}`,
      },
    ]);
  });

  it("the runtime knobs become the app's environment", () => {
    const resources = { cpus: 1, memoryMB: 128 };
    assert.deepEqual(appEnvironment("go", resources, { goMaxProcs: "cpus" }), { GOMAXPROCS: "1" });
    assert.deepEqual(appEnvironment("go", resources, { goMaxProcs: "runtime-default" }), {});
    assert.deepEqual(appEnvironment("node", resources, { nodeHeap: "fit" }), {
      NODE_OPTIONS: "--max-old-space-size=96",
    });
    assert.deepEqual(appEnvironment("node", resources, { goMaxProcs: "cpus" }), {}, "a Go knob never reaches Node");
  });

  it("tell the paper's settings from a variant", () => {
    assert.ok(knobsAtDefaults({ cpuMode: "quota", dockerNetwork: "nat", goMaxProcs: "runtime-default" }));
    assert.ok(!knobsAtDefaults({ cpuMode: "quota", goMaxProcs: "cpus" }));
  });
});
