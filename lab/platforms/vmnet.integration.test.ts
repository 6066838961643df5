/**
 * The bridge and tap scripts for real, inside a network namespace the test creates and removes
 * (root and iproute2 needed; the host's own interfaces are never touched).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { skipUnlessTool } from "../../core/testing/requirements";
import { VMNET_PREFIX, VMNET_SCRIPTS } from "./vmnet";

const netns = `edgelab-vmnet-${process.pid}`;
const state = mkdtempSync(join(tmpdir(), "vmnet-state-"));
const bridge = `${VMNET_PREFIX}0`;

function inNs(argv: string[], env: Record<string, string> = {}) {
  const envWords = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return spawnSync("ip", ["netns", "exec", netns, "env", ...envWords, ...argv], { encoding: "utf8", timeout: 30_000 });
}

function script(name: string, tap: string) {
  const result = inNs(["bash", join(VMNET_SCRIPTS, name)], {
    VMNET_BRIDGE: bridge,
    VMNET_TAP: tap,
    VMNET_SUBNET: "10.231.0",
    VMNET_STATE_DIR: state,
  });
  assert.equal(result.status, 0, `${name} ${tap}: ${result.stderr}`);
  return result.stdout.trim();
}

function links(): string[] {
  return inNs(["ip", "-o", "link", "show"])
    .stdout.split("\n")
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? "")
    .filter((name) => name.startsWith(VMNET_PREFIX))
    .sort();
}

describe("vmnet scripts in a network namespace", async () => {
  const skip = await skipUnlessTool("ip", ["-V"], "apt-get install iproute2");
  before(() => {
    if (skip) return;
    const add = spawnSync("ip", ["netns", "add", netns], { encoding: "utf8" });
    assert.equal(add.status, 0, add.stderr);
  });
  after(() => {
    if (!skip) spawnSync("ip", ["netns", "delete", netns]);
    rmSync(state, { recursive: true, force: true });
  });

  it("makes the bridge with the host address and one tap per VM, each with its own lease, idempotently", {
    skip,
  }, () => {
    assert.equal(script("tap-up.sh", "edgelabvm-aaaaa"), "10.231.0.2");
    assert.equal(script("tap-up.sh", "edgelabvm-aaaaa"), "10.231.0.2", "again: same address");
    assert.equal(script("tap-up.sh", "edgelabvm-bbbbb"), "10.231.0.3");
    assert.deepEqual(links(), ["edgelabvm-aaaaa", "edgelabvm-bbbbb", "edgelabvm0"]);
    assert.match(inNs(["ip", "-o", "addr", "show", "dev", bridge]).stdout, /inet 10\.231\.0\.1\/24/);
    assert.match(inNs(["ip", "-o", "link", "show", "dev", "edgelabvm-aaaaa"]).stdout, /master edgelabvm0/);
  });

  it("removes a tap and its lease, and the bridge with the last tap", { skip }, () => {
    script("tap-down.sh", "edgelabvm-aaaaa");
    assert.deepEqual(links(), ["edgelabvm-bbbbb", "edgelabvm0"]);
    assert.deepEqual(readdirSync(join(state, bridge)), ["3"]);
    script("tap-down.sh", "edgelabvm-aaaaa");
    script("tap-down.sh", "edgelabvm-bbbbb");
    assert.deepEqual(links(), []);
  });

  it("takes over a lease whose tap is gone", { skip }, () => {
    assert.equal(script("tap-up.sh", "edgelabvm-ccccc"), "10.231.0.2");
    writeFileSync(join(state, bridge, "2"), "edgelabvm-gone0\n");
    assert.equal(script("tap-up.sh", "edgelabvm-ddddd"), "10.231.0.2");
    assert.equal(readFileSync(join(state, bridge, "2"), "utf8").trim(), "edgelabvm-ddddd");
  });

  it("the sweep removes every lab interface and lease, and nothing else", { skip }, () => {
    assert.equal(inNs(["ip", "link", "add", "other0", "type", "bridge"]).status, 0);
    const sweep = inNs(["bash", join(VMNET_SCRIPTS, "sweep.sh")], { VMNET_PREFIX, VMNET_STATE_DIR: state });
    assert.equal(sweep.status, 0, sweep.stderr);
    assert.deepEqual(sweep.stdout.trim().split("\n").sort(), ["edgelabvm-ccccc", "edgelabvm-ddddd", "edgelabvm0"]);
    assert.deepEqual(links(), []);
    assert.match(inNs(["ip", "-o", "link", "show", "dev", "other0"]).stdout, /other0/);
    assert.deepEqual(readdirSync(state), ["lock"]);
  });
});
