/**
 * The stack files people start from: Pulumi.dev.yaml and every stack file shown in
 * docs/pulumi-lab.md pass the config checks (with the secrets the walkthrough sets), and
 * Pulumi.dev.yaml holds no secret.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { repoRoot } from "../core/paths";
import { loadRevision } from "../lab/config/revision";
import { type ConfigKey, NAMESPACE, parseLabConfig, readRaw } from "./config";
import { planLab } from "./stackPlan";
import { pinnedForTests } from "./testing/downloads";
import { TEST_PRIVATE_KEY, TEST_PUBLIC_KEY } from "./testing/mockProgram";

/** What Pulumi hands the program: structured values as JSON strings, everything else as text. */
function asPulumiPasses(config: Record<string, unknown>): Record<string, string> {
  const project = parse(readFileSync(join(repoRoot, "Pulumi.yaml"), "utf8")) as {
    config: Record<string, { default?: unknown }>;
  };
  const withDefaults: Record<string, unknown> = {};
  for (const [key, decl] of Object.entries(project.config))
    if (decl.default !== undefined) withDefaults[key] = decl.default;
  Object.assign(withDefaults, config);
  return Object.fromEntries(
    Object.entries(withDefaults).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]),
  );
}

function check(name: string, config: Record<string, unknown>) {
  const passed = asPulumiPasses(config);
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(passed)) {
    if (!key.startsWith(`${NAMESPACE}:`)) continue;
    raw[key.slice(NAMESPACE.length + 1)] = readRaw(key.slice(NAMESPACE.length + 1) as ConfigKey, value);
  }
  // What the walkthrough sets on the command line: your address where the stack opens SSH, your
  // own public key for your logins, and your private key only where the servers are yours.
  if (raw.target === "hcloud" || raw.target === "hcloud-baremetal" || raw.target === "scaleway") {
    raw.sshAllowedCidrs ??= ["81.2.69.160/32"];
    raw.sshPublicKey ??= TEST_PUBLIC_KEY;
  }
  if (raw.target === "static" || raw.target === "hcloud-baremetal") raw.sshPrivateKey = TEST_PRIVATE_KEY;
  const lab = parseLabConfig(raw, name);
  return planLab(lab, pinnedForTests(loadRevision(lab.revision)));
}

describe("stack files", () => {
  it("Pulumi.dev.yaml is a valid hcloud stack without a secret in it", () => {
    const text = readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8");
    assert.doesNotMatch(text, /secure:|PRIVATE KEY|hcloud:token:|sshPrivateKey|sshAllowedCidrs:/);
    const plan = check("dev", (parse(text) as { config: Record<string, unknown> }).config);
    assert.equal(plan.config.target, "hcloud");
    assert.equal(plan.cells.length, 180);
  });

  it("Pulumi.scaleway.yaml is a valid bare-metal stack without a secret in it, and docs/pulumi-lab.md shows it first", () => {
    const text = readFileSync(join(repoRoot, "Pulumi.scaleway.yaml"), "utf8");
    assert.doesNotMatch(text, /secure:|PRIVATE KEY|secretKey:|sshPrivateKey|sshAllowedCidrs:/);
    const plan = check("scaleway", (parse(text) as { config: Record<string, unknown> }).config);
    assert.equal(plan.config.target, "scaleway");
    assert.equal(plan.needs.requireKvm, true, "bare metal: the Nanos cells run under KVM");
    assert.equal(plan.cells.length, 180);
    const readme = readFileSync(join(repoRoot, "docs", "pulumi-lab.md"), "utf8");
    // The journey is Scaleway's, and its stack file is the first one the page shows.
    assert.match(
      readme,
      /^## From an account to a report: the journey\n\nThis is the whole way on Scaleway Elastic Metal/m,
    );
    assert.ok(readme.indexOf("# Pulumi.scaleway.yaml") < readme.indexOf("# Pulumi.dev.yaml"));
  });

  it("every stack file in docs/pulumi-lab.md is valid", () => {
    const doc = readFileSync(join(repoRoot, "docs", "pulumi-lab.md"), "utf8");
    const blocks = [...doc.matchAll(/```yaml\n# (Pulumi\.([a-z]+)\.yaml)\n([\s\S]*?)```/g)];
    assert.deepEqual(
      blocks.map((b) => b[1]),
      ["Pulumi.scaleway.yaml", "Pulumi.dev.yaml", "Pulumi.metal.yaml", "Pulumi.bench.yaml", "Pulumi.here.yaml"],
    );
    const targets = blocks.map(
      (b) => check(b[2] as string, (parse(b[3] as string) as { config: Record<string, unknown> }).config).config.target,
    );
    assert.deepEqual(targets, ["scaleway", "hcloud", "hcloud-baremetal", "static", "local"]);
  });
});
