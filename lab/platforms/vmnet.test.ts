import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { run } from "../../core/exec";
import { shellcheckSkip } from "../../core/testing/requirements";
import {
  DEFAULT_VMNET,
  parseIpLinkNames,
  tapDownLine,
  tapUpLine,
  VMNET_BRIDGE,
  VMNET_PREFIX,
  VMNET_SCRIPTS,
  vmMacAddress,
  vmnetGateway,
  vmTapName,
} from "./vmnet";

describe("vmnet names", () => {
  it("taps and the bridge carry the lab's prefix and fit Linux's 15 characters", () => {
    const tap = vmTapName("edgelab-run-20261130-go-microvm-io-1cpu-128mb-r1-a1b2c3");
    assert.match(tap, /^edgelabvm-[0-9a-f]{5}$/);
    assert.ok(tap.length <= 15 && VMNET_BRIDGE.length <= 15);
    assert.ok(VMNET_BRIDGE.startsWith(VMNET_PREFIX));
    assert.equal(vmTapName("a"), vmTapName("a"));
    assert.notEqual(vmTapName("a"), vmTapName("b"));
  });

  it("MACs are locally administered, in QEMU's range, fixed per instance", () => {
    assert.match(vmMacAddress("x"), /^52:54:00(:[0-9a-f]{2}){3}$/);
    assert.equal(vmMacAddress("x"), vmMacAddress("x"));
    assert.notEqual(vmMacAddress("x"), vmMacAddress("y"));
  });

  it("the host is .1 of the bridge's subnet", () => {
    assert.equal(vmnetGateway(), "10.231.0.1");
  });

  it("reads interface names from ip -o link show (captured, with a bridge, a tap and a veth pair)", () => {
    const names = parseIpLinkNames(readFileSync(join(__dirname, "fixtures", "ip-o-link-show-vmnet.txt"), "utf8"));
    assert.deepEqual(names, ["lo", "edgelabvm0", "edgelabvm-3f2a1", "veth-y", "veth-x"]);
  });
});

describe("vmnet scripts", () => {
  it("the lines that run them quote every setting", () => {
    const settings = { ...DEFAULT_VMNET, stateDir: "/tmp/state dir" };
    assert.match(
      tapUpLine(settings, "edgelabvm-00000", "guest.address").text,
      /VMNET_STATE_DIR='\/tmp\/state dir' bash /,
    );
    assert.match(tapDownLine(settings, "edgelabvm-00000").text, / \|\| true\n$/);
  });

  it("pass shellcheck", async (t) => {
    const skip = await shellcheckSkip();
    if (skip) return t.skip(skip);
    const scripts = readdirSync(VMNET_SCRIPTS).filter((f) => f.endsWith(".sh"));
    assert.deepEqual(scripts.sort(), ["sweep.sh", "tap-down.sh", "tap-up.sh"]);
    await run("shellcheck", ["--severity=style", ...scripts.map((f) => join(VMNET_SCRIPTS, f))]);
  });
});
