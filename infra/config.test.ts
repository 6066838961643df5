/**
 * Stack config validation: one test per class of bad input. Every message names the key, the value
 * (never a secret's) and what is allowed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../core/config/errors";
import { loadRevision } from "../lab/config/revision";
import { type LabConfig, parseLabConfig, readRaw } from "./config";
import { readStackConfig, storedInPlainText } from "./stackConfig";
import { planLab } from "./stackPlan";
import { pinnedForTests } from "./testing/downloads";
import { TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, TEST_REVISION } from "./testing/mockProgram";

const hcloudBase = {
  target: "hcloud",
  sshAllowedCidrs: ["81.2.69.160/32"],
  sshPublicKey: TEST_PUBLIC_KEY,
};

function problems(raw: Record<string, unknown>): string[] {
  try {
    parseLabConfig(raw, "dev");
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.match(error.message, /stack dev \(Pulumi\.dev\.yaml\)/);
    return [...error.problems];
  }
  assert.fail("the config was accepted");
}

function planProblems(config: LabConfig, revision = loadRevision(TEST_REVISION)): string[] {
  try {
    planLab(config, revision);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return [...error.problems];
  }
  assert.fail("the plan was accepted");
}

describe("stack config: accepted", () => {
  it("fills the defaults of an hcloud stack", () => {
    const c = parseLabConfig(hcloudBase, "dev");
    assert.deepEqual(
      [c.revision, c.profile, c.location, c.image, c.sutServerType, c.loadgenServerType, c.bootstrap, c.paperImages],
      ["paper-2025", "paper", "fsn1", "ubuntu-24.04", "ccx33", "ccx23", true, "on-sut"],
    );
    assert.equal(c.allowEmulation, false);
  });

  it("installs nothing and builds no paper image on this machine unless asked", () => {
    const c = parseLabConfig({ target: "local" }, "dev");
    assert.deepEqual([c.bootstrap, c.paperImages], [false, "off"]);
  });
});

describe("stack config: every class of bad input", () => {
  it("a missing target", () => {
    assert.deepEqual(problems({}), [
      "edge-lab:target is missing: set it to one of hcloud, hcloud-baremetal, scaleway, static, local",
    ]);
  });

  it("a value outside a fixed set (target, location, paperImages)", () => {
    assert.match(problems({ target: "aws" })[0] ?? "", /^edge-lab:target = "aws" is not allowed: use one of "hcloud"/);
    assert.match(
      problems({ ...hcloudBase, location: "fra1" }).join("\n"),
      /edge-lab:location = "fra1" is not allowed: use one of "fsn1"\|"nbg1"/,
    );
    assert.match(
      problems({ target: "local", paperImages: "yes" }).join("\n"),
      /edge-lab:paperImages = "yes" is not allowed/,
    );
  });

  it("a string that is not of the key's kind (boolean, number, list, object)", () => {
    const bad = (key: Parameters<typeof readRaw>[0], value: string) => {
      try {
        readRaw(key, value);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems[0] ?? "";
      }
      return "accepted";
    };
    assert.equal(
      bad("allowEmulation", "yes"),
      'edge-lab:allowEmulation = "yes" is not allowed: expected true or false',
    );
    assert.equal(bad("vswitchId", "vs-1"), 'edge-lab:vswitchId = "vs-1" is not allowed: expected a number');
    assert.match(bad("sshAllowedCidrs", "1.2.3.4/32,"), /expected a YAML list of CIDRs/);
    assert.match(bad("sut", "{address: x"), /expected a YAML object \{address, privateAddress, user\}/);
  });

  it("malformed addresses, CIDRs, users, server types and run ids", () => {
    const found = problems({
      ...hcloudBase,
      target: "static",
      sshAllowedCidrs: undefined,
      sshPublicKey: undefined,
      sut: { address: "bad host!", privateAddress: "10.0.0.300", user: "Root" },
      loadgen: { address: "10.0.0.3" },
      runId: "../etc",
    }).join("\n");
    assert.match(found, /edge-lab:sut\.address = "bad host!" is not allowed: expected an IPv4 address or a host name/);
    assert.match(found, /edge-lab:sut\.privateAddress = "10\.0\.0\.300" is not allowed: expected an IPv4 address/);
    assert.match(found, /edge-lab:sut\.user = "Root" is not allowed: expected a Unix user name/);
    assert.match(found, /edge-lab:runId = "\.\.\/etc" is not allowed/);
    assert.match(
      problems({ ...hcloudBase, sshAllowedCidrs: ["10.0.0.1/33"] }).join("\n"),
      /sshAllowedCidrs\.0 = "10\.0\.0\.1\/33"/,
    );
    assert.match(
      problems({ ...hcloudBase, sutServerType: "CCX-13" }).join("\n"),
      /sutServerType = "CCX-13" is not allowed: expected a Hetzner server type/,
    );
  });

  it("an unknown key, at the top or inside a host", () => {
    assert.match(
      problems({ target: "local", sshAllowedCidr: ["1.2.3.4/32"] })[0] ?? "",
      /^edge-lab:sshAllowedCidr is not a key of this lab \(known: target, /,
    );
    assert.match(
      problems({
        ...hcloudBase,
        target: "static",
        sshAllowedCidrs: undefined,
        sshPublicKey: undefined,
        sut: { address: "a", ip: "b" },
        loadgen: { address: "c" },
      }).join("\n"),
      /edge-lab:sut\.ip: unknown key/,
    );
  });

  it("a key the target does not use", () => {
    assert.deepEqual(problems({ target: "local", sutServerType: "ccx13" }), [
      "edge-lab:sutServerType is set but target local does not use it (it is for: hcloud)",
    ]);
    assert.match(
      problems({ ...hcloudBase, sut: { address: "1.2.3.4" } }).join("\n"),
      /edge-lab:sut is set but target hcloud does not use it/,
    );
    assert.match(
      problems({ ...hcloudBase, vswitchId: 3 }).join("\n"),
      /edge-lab:vswitchId is set but target hcloud does not use it/,
    );
  });

  it("a key the target needs", () => {
    const hcloud = problems({ target: "hcloud" }).join("\n");
    assert.match(hcloud, /edge-lab:sshAllowedCidrs is missing: target hcloud needs it/);
    assert.doesNotMatch(hcloud, /sshPublicKey|sshPrivateKey/, "the stack makes its own key; yours is optional");
    const stat = problems({ target: "static", sshPrivateKey: TEST_PRIVATE_KEY }).join("\n");
    assert.match(stat, /edge-lab:sut is missing/);
    assert.match(stat, /edge-lab:loadgen is missing/);
    const metal = problems({ target: "hcloud-baremetal", sshAllowedCidrs: ["81.2.69.160/32"] }).join("\n");
    assert.match(
      metal,
      /^edge-lab:sshPrivateKey is missing: target hcloud-baremetal logs in to your own servers with your key; set it from its file: pulumi config set --secret edge-lab:sshPrivateKey < ~\/\.ssh\/edgelab \[ssh-key-missing\]$/m,
    );
  });

  it("scaleway: its own keys, the load generator's kind, and the keys it needs", () => {
    const scw = { target: "scaleway", sshAllowedCidrs: ["81.2.69.160/32"] };
    const c = parseLabConfig(scw, "metal");
    assert.deepEqual(
      [c.zone, c.sutOffer, c.loadgenKind, c.loadgenOffer, c.pairs],
      ["nl-ams-1", "EM-B112X-SSD", "elasticmetal", "EM-B112X-SSD", 1],
    );
    assert.match(
      problems({ target: "scaleway" }).join("\n"),
      /edge-lab:sshAllowedCidrs is missing: target scaleway needs it \(SSH is opened only to these networks, on the hosts' own firewall\)/,
    );
    assert.match(
      problems({ ...scw, zone: "us-east-1" }).join("\n"),
      /edge-lab:zone = "us-east-1" is not allowed: expected a Scaleway zone like nl-ams-1/,
    );
    assert.match(
      problems({ ...scw, sutOffer: "ccx33" }).join("\n"),
      /edge-lab:sutOffer = "ccx33" is not allowed: expected an Elastic Metal offer/,
    );
    assert.match(
      problems({ ...scw, loadgenKind: "vm" }).join("\n"),
      /edge-lab:loadgenKind = "vm" is not allowed: use one of "elasticmetal"\|"instance"/,
    );
    assert.match(
      problems({ ...scw, loadgenInstanceType: "POP2-2C-8G" }).join("\n"),
      /edge-lab:loadgenInstanceType is set but edge-lab:loadgenKind = "elasticmetal" .*set loadgenKind: instance/,
    );
    assert.match(
      problems({ ...scw, location: "fsn1" }).join("\n"),
      /edge-lab:location is set but target scaleway does not use it \(it is for: hcloud, hcloud-baremetal\)/,
    );
    assert.match(
      problems({ ...scw, sshAllowedCidrs: ["::/0"] }).join("\n"),
      /SSH open to the whole internet is not allowed/,
    );
  });

  it("host pairs: a whole number within bounds, and only where the target provisions servers", () => {
    assert.equal(parseLabConfig({ ...hcloudBase, pairs: 3 }, "dev").pairs, 3);
    assert.match(
      problems({ ...hcloudBase, pairs: 0 }).join("\n"),
      /edge-lab:pairs = 0 is not allowed: expected at least 1 host pair/,
    );
    assert.match(
      problems({ ...hcloudBase, pairs: 2.5 }).join("\n"),
      /edge-lab:pairs = 2\.5 is not allowed: expected a whole number/,
    );
    assert.match(
      problems({ ...hcloudBase, pairs: 11 }).join("\n"),
      /edge-lab:pairs = 11 is not allowed: expected at most 10/,
    );
    assert.match(
      problems({
        target: "static",
        sshPrivateKey: TEST_PRIVATE_KEY,
        sut: { address: "1.2.3.4" },
        loadgen: { address: "1.2.3.5" },
        pairs: 2,
      }).join("\n"),
      /edge-lab:pairs = 2 is not allowed for target static: it stands up at most 1 pair \(targets that provision servers take more: hcloud, scaleway\)/,
    );
    assert.throws(() => readRaw("pairs", "three"), /edge-lab:pairs = "three" is not allowed: expected a number/);
  });

  it("SSH open to the whole internet", () => {
    assert.match(
      problems({ ...hcloudBase, sshAllowedCidrs: ["0.0.0.0/0"] })[0] ?? "",
      /SSH open to the whole internet is not allowed/,
    );
  });

  it("a vSwitch outside eu-central, or a SUT address outside the vSwitch subnet", () => {
    const base = { ...hcloudBase, target: "hcloud-baremetal", vswitchId: 12 };
    assert.match(
      problems({ ...base, location: "ash", sut: { address: "192.0.2.5", privateAddress: "10.42.2.5" } }).join("\n"),
      /a vSwitch joins Hetzner Cloud networks in network zone eu-central only; edge-lab:location = "ash" is in us-east/,
    );
    assert.match(
      problems({ ...base, sut: { address: "192.0.2.5" } }).join("\n"),
      /edge-lab:sut\.privateAddress is missing: with a vSwitch/,
    );
    assert.match(
      problems({ ...base, sut: { address: "192.0.2.5", privateAddress: "10.42.9.5" } }).join("\n"),
      /edge-lab:sut\.privateAddress = "10\.42\.9\.5" is not in edge-lab:vswitchSubnet = "10\.42\.2\.0\/24"/,
    );
    assert.match(
      problems({
        ...base,
        vswitchSubnet: "10.42.1.0/24",
        sut: { address: "192.0.2.5", privateAddress: "10.42.1.5" },
      }).join("\n"),
      /must lie inside the lab network 10\.42\.0\.0\/16 and outside its cloud subnet/,
    );
  });

  it("a private key that is not one, without printing the value", () => {
    const found = problems({ ...hcloudBase, sshPrivateKey: "hunter2-not-a-key" });
    assert.equal(found.length, 1);
    assert.match(found[0] ?? "", /edge-lab:sshPrivateKey \(a secret: its value is not shown\) is not allowed/);
    assert.doesNotMatch(found[0] ?? "", /hunter2/);
  });

  it("credentials stored in plain text in the stack file", () => {
    assert.equal(storedInPlainText("edge-lab:sshPrivateKey", ["hcloud:token"]), true);
    assert.equal(storedInPlainText("edge-lab:sshPrivateKey", ["edge-lab:sshPrivateKey"]), false);
    assert.equal(storedInPlainText("edge-lab:sshPrivateKey", null), false, "no verdict when Pulumi passes no list");
    pulumi.runtime.setAllConfig(
      {
        "edge-lab:target": "static",
        "edge-lab:sshPrivateKey": TEST_PRIVATE_KEY,
        "edge-lab:sut": '{"address":"a.example"}',
        "edge-lab:loadgen": '{"address":"b.example"}',
        "hcloud:token": "x",
      },
      ["hcloud:token"],
    );
    assert.throws(
      () => readStackConfig("dev"),
      /edge-lab:sshPrivateKey is stored in plain text: .*pulumi config set --secret edge-lab:sshPrivateKey/,
    );
  });
});

describe("stack config against the revision (planLab)", () => {
  const hcloud = () => parseLabConfig({ ...hcloudBase, revision: TEST_REVISION }, "dev");

  it("a profile the revision does not have", () => {
    const c = parseLabConfig({ ...hcloudBase, revision: TEST_REVISION, profile: "huge" }, "dev");
    assert.deepEqual(planProblems(c), [
      'edge-lab:profile: profile "huge" is not in revision infra-test: use one of paper, quick',
    ]);
  });

  it("a download neither the revision nor its lock pins (the program locks it first; this is when it could not)", () => {
    const found = planProblems(parseLabConfig(hcloudBase, "dev"), loadRevision("paper-2025")).join("\n");
    assert.match(
      found,
      /revision paper-2025: downloads\.ops, downloads\.nanosKernel, downloads\.nanosCommon are in neither the revision nor its lock file: the program locks them on first use .*`npx tsx infra\/pin\.ts --revision paper-2025`/,
    );
  });

  it("a SUT server smaller than the profile's largest scenario", () => {
    const revision = loadRevision("paper-2025");
    const pinned = pinnedForTests(structuredClone(revision));
    const small = parseLabConfig({ ...hcloudBase, sutServerType: "ccx13" }, "dev");
    assert.match(
      planProblems(small, pinned).join("\n"),
      /edge-lab:sutServerType = "ccx13" has 2 CPUs; profile paper runs scenarios with 8: use ccx33 or ccx43/,
    );
    assert.equal(planLab(parseLabConfig(hcloudBase, "dev"), pinned).config.sutServerType, "ccx33");
  });

  it("a bundle directory that is not there, or a bundled k6 without a pin", () => {
    const missing = parseLabConfig({ ...hcloudBase, revision: TEST_REVISION, bundleDir: "/nonexistent/bundle" }, "dev");
    assert.match(planProblems(missing)[0] ?? "", /edge-lab:bundleDir = "\/nonexistent\/bundle" is not a directory/);
    const dir = mkdtempSync(join(tmpdir(), "bundle-"));
    writeFileSync(join(dir, "k6-v1.3.0-linux-amd64"), "k6");
    const revision = loadRevision(TEST_REVISION);
    if (revision.downloads?.k6Binary) revision.downloads.k6Binary.sha256 = null;
    const c = parseLabConfig({ ...hcloudBase, revision: TEST_REVISION, bundleDir: dir }, "dev");
    assert.match(
      planProblems(c, revision)[0] ?? "",
      /the bundle holds k6-v1\.3\.0-linux-amd64 but revision infra-test pins no sha256 for it/,
    );
  });

  it("a SUT given by host name only (instances publish on an IPv4 address)", () => {
    const c = parseLabConfig(
      {
        target: "static",
        revision: TEST_REVISION,
        sshPrivateKey: TEST_PRIVATE_KEY,
        sut: { address: "sut.example.net" },
        loadgen: { address: "lg.example.net" },
      },
      "dev",
    );
    assert.match(
      planProblems(c)[0] ?? "",
      /edge-lab:sut\.privateAddress is needed: .* sut\.address "sut\.example\.net" is a host name/,
    );
  });

  it("warns that a host of yours without hostKey is trusted on first use, and not when it has one", () => {
    const hostKey = TEST_PUBLIC_KEY.split(" ").slice(0, 2).join(" ");
    const plan = (sut: Record<string, unknown>) =>
      planLab(
        parseLabConfig(
          {
            target: "static",
            revision: TEST_REVISION,
            sshPrivateKey: TEST_PRIVATE_KEY,
            sut,
            loadgen: { address: "192.0.2.3", hostKey },
          },
          "dev",
        ),
        loadRevision(TEST_REVISION),
      ).warnings.filter((w) => w.includes("trust on first use"));
    const [warning, ...more] = plan({ address: "192.0.2.2" });
    assert.match(
      warning ?? "",
      /^edge-lab:sut has no hostKey: the lab pins the host key it reads on Pulumi's first connection to 192\.0\.2\.2 \(trust on first use\); set edge-lab:sut\.hostKey/,
    );
    assert.deepEqual(more, [], "the load generator has its key");
    assert.deepEqual(plan({ address: "192.0.2.2", hostKey }), []);
  });

  it("warns (does not fail) when Nanos cells meet a cloud server without KVM", () => {
    const plan = planLab(hcloud(), loadRevision(TEST_REVISION));
    assert.match(
      plan.warnings.join("\n"),
      /Hetzner Cloud servers have no KVM: the 4 nanos cells will be recorded as skipped/,
    );
    assert.equal(plan.needs.requireKvm, false);
    const emulated = planLab(
      parseLabConfig({ ...hcloudBase, revision: TEST_REVISION, allowEmulation: true }, "dev"),
      loadRevision(TEST_REVISION),
    );
    assert.equal(emulated.profile.allowEmulation, true);
    assert.notEqual(emulated.runId, plan.runId, "another profile is another run");
    assert.notDeepEqual(
      emulated.cells.map((c) => c.id),
      plan.cells.map((c) => c.id),
    );
  });

  it("keeps the run id while nothing that defines the run changes", () => {
    const a = planLab(hcloud(), loadRevision(TEST_REVISION));
    const b = planLab(
      parseLabConfig({ ...hcloudBase, revision: TEST_REVISION, location: "hel1" }, "dev"),
      loadRevision(TEST_REVISION),
    );
    assert.equal(a.runId, b.runId);
    assert.match(a.runId, /^dev-infra-test-paper-[0-9a-f]{8}$/);
  });
});
