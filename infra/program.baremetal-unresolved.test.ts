/**
 * The bare-metal SUT given by a host name that does not resolve, without a vSwitch (mocked
 * engine): the program stops at plan time with the key and the value named, before it creates
 * anything. `.invalid` names never resolve (RFC 6761), on any machine, without a network.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../core/config/errors";
import {
  runProgram,
  SECRET_KEYS,
  TEST_PRIVATE_KEY,
  TEST_PUBLIC_KEY,
  TEST_REVISION,
  TEST_TOKEN,
} from "./testing/mockProgram";

describe("hcloud-baremetal, SUT by a name that does not resolve (mocked engine)", () => {
  it("refuses the plan naming edge-lab:sut.address and its value, and creates nothing", async () => {
    const created: string[] = [];
    await assert.rejects(
      runProgram(
        {
          "edge-lab:target": "hcloud-baremetal",
          "edge-lab:revision": TEST_REVISION,
          "edge-lab:sshAllowedCidrs": JSON.stringify(["81.2.69.160/32"]),
          "edge-lab:sshPublicKey": TEST_PUBLIC_KEY,
          "edge-lab:sshPrivateKey": TEST_PRIVATE_KEY,
          "edge-lab:sut": JSON.stringify({ address: "sut.lab.invalid", privateAddress: "192.0.2.50" }),
          "hcloud:token": TEST_TOKEN,
        },
        SECRET_KEYS,
        "metal",
        { onResource: (type, name) => created.push(`${type} ${name}`) },
      ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.deepEqual(error.problems, [
          'edge-lab:sut.address = "sut.lab.invalid" is not allowed: it does not resolve (ENOTFOUND): the firewall admits the host by address; expected an IPv4 address, or a host name this machine resolves',
        ]);
        return true;
      },
    );
    assert.deepEqual(created, [], "no resource was registered");
  });
});
