import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyEnd } from "./runCell";

const clean = { exitCode: null, signal: null, oomKilled: false };

describe("how an instance ended", () => {
  it("an OOM kill is oom, even when it ended the launch", () => {
    const killed = { exitCode: 137, signal: null, oomKilled: true };
    assert.deepEqual(classifyEnd(killed, true, "during the load"), {
      status: "oom",
      reason: "OOM-killed during the load (exit 137)",
    });
    assert.equal(
      classifyEnd(killed, true, "before it was ready", "the container ended right after its start").status,
      "oom",
    );
  });

  it("a launch command that failed is a failed start with the platform's own words, never a timeout", () => {
    assert.deepEqual(classifyEnd(clean, false, "before it was ready", "docker: Error response from daemon: refused"), {
      status: "failed-start",
      reason: "the launch failed: docker: Error response from daemon: refused",
    });
  });

  it("otherwise crashed when it died on its own, timeout when it never answered", () => {
    assert.equal(classifyEnd({ ...clean, exitCode: 2 }, true, "during the load").status, "crashed");
    assert.equal(classifyEnd(clean, false, "before it was ready").status, "timeout");
  });
});
