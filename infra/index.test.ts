import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";

describe("the Pulumi program (mocked engine)", () => {
  it("publishes the pinned versions and the artifact plan of the configured revision", async () => {
    pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: (args) => args.inputs,
      },
      "edge-lab",
      "dev",
    );
    pulumi.runtime.setAllConfig({ "edge-lab:revision": "paper-2025" });
    const program = await import("../index.js");
    assert.equal(program.revisionId, "paper-2025");
    assert.equal(program.pinnedVersions.nanos, "0.1.54");
    const go = program.artifacts.find((a) => a.runtime === "go");
    assert.equal(
      go?.nanosBuildCommand,
      "ops build /opt/edgelab/bin/edgeapp-go -c config.json -i edgelab-go-paper-2025 --nanos-version 0.1.54",
    );
    assert.equal(go?.dockerBase, "golang:1.22.2-alpine -> scratch");
    assert.deepEqual(go?.opsConfig.RunConfig, { Memory: "2048M", CPUs: 8, Ports: ["8080"], Accel: true });
    assert.equal(program.artifacts.find((a) => a.runtime === "node")?.toolchain, "node 24.3.0");
  });
});
