/**
 * Every refusal of `pulumi preview` (infra/refusals.ts) fed hostile input: what would fail only
 * after servers are billing is refused before any exists, by its name, in one line that says what
 * to change and never shows a secret. A refusal with no case here fails the last test.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ConfigError } from "../core/config/errors";
import type { AptPackage, Revision } from "../core/config/revision";
import { repoRoot } from "../core/paths";
import { caseCount, HOSTILE_SEED, HOSTILE_STRINGS, Rng, replay } from "../core/testing/hostile";
import { loadRevision } from "../lab/config/revision";
import { parseLabConfig } from "./config";
import { hetznerCredentials } from "./providers/hetzner";
import { TOKEN_SHAPES, tokenProblem } from "./providers/tokens";
import { REFUSALS, type RefusalName, refusalOf } from "./refusals";
import { planLab } from "./stackPlan";
import { pinnedForTests } from "./testing/downloads";
import { TEST_PRIVATE_KEY, TEST_REVISION, TEST_TOKEN } from "./testing/mockProgram";

const tried = new Set<RefusalName>();
const rng = new Rng(HOSTILE_SEED);
const PUBLIC = "81.2.69.160/32";

/** The problems a config is refused with (a ConfigError), or [] when it is accepted. */
function problemsOf(raw: Record<string, unknown>, stack = "dev"): string[] {
  try {
    parseLabConfig(raw, stack);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${(error as Error)?.stack}`);
    return [...error.problems];
  }
}

/** Exactly one problem names `name`; it is one line; it does not show `secret`. Returns it. */
function refusedAs(problems: string[], name: RefusalName, what: string, secret?: string): string {
  const named = problems.filter((p) => refusalOf(p) === name);
  assert.equal(named.length, 1, replay(`${what}: expected one [${name}] among ${JSON.stringify(problems)}`));
  const problem = named[0] as string;
  assert.doesNotMatch(problem, /[\r\n]/, replay(`${what}: one line`));
  if (secret !== undefined) assert.ok(!problem.includes(secret), replay(`${what}: the message shows the secret`));
  tried.add(name);
  return problem;
}

/** A random host address inside an IPv4 network a.b.c.d/len. */
function addressIn(cidr: string): string {
  const [base, len] = cidr.split("/") as [string, string];
  const start = base.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(len));
  const n = start + rng.int(0, size - 1);
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

const DOCUMENTATION_V4 = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];
const PRIVATE_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"];
const hex = () => rng.int(0, 0xffff).toString(16);

describe(`preview refusals, hostile input (seed ${HOSTILE_SEED})`, () => {
  const dir = mkdtempSync(join(tmpdir(), "edgelab-refusals-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a documentation address in sshAllowedCidrs (RFC 5737, RFC 3849) on every public target, in any spelling", () => {
    for (let i = 0; i < caseCount(40); i++) {
      const v6 = rng.chance(0.3);
      const source = v6
        ? rng.chance(0.5)
          ? `${rng.pick(["2001:db8", "2001:DB8", "2001:0db8"])}:${hex()}::${hex()}/128`
          : `${rng.pick(["2001:db8", "2001:DB8"])}:${hex()}::/48`
        : `${addressIn(rng.pick(DOCUMENTATION_V4))}/32`;
      for (const target of ["hcloud", "scaleway"]) {
        const what = `${target}, ${source}`;
        const problem = refusedAs(
          problemsOf({ target, sshAllowedCidrs: [PUBLIC, source] }),
          "ssh-source-documentation",
          what,
        );
        assert.match(problem, /sshAllowedCidrs/, replay(`${what}: names the key`));
        assert.match(problem, v6 ? /RFC 3849/ : /RFC 5737/, replay(`${what}: names the range`));
        assert.match(problem, /curl -4s https:\/\/ifconfig\.me/, replay(`${what}: says what to use`));
      }
    }
    // The bare-metal SUT's target opens SSH on its cloud load generator the same way.
    refusedAs(
      problemsOf({ target: "hcloud-baremetal", sshAllowedCidrs: ["203.0.113.7/32"], sut: { address: "81.2.69.1" } }),
      "ssh-source-documentation",
      "hcloud-baremetal, the documentation's own example",
    );
  });

  it("a private, loopback, link-local or shared address in sshAllowedCidrs on a public target", () => {
    for (let i = 0; i < caseCount(40); i++) {
      const v6 = rng.chance(0.25);
      const source = v6
        ? `${rng.pick(["fd00", "fc12", "fe80", "FD7a"])}:${hex()}::${hex()}/128`
        : `${addressIn(rng.pick(PRIVATE_V4))}/32`;
      const what = `hcloud, ${source}`;
      const problem = refusedAs(
        problemsOf({ target: "hcloud", sshAllowedCidrs: [source] }),
        "ssh-source-private",
        what,
      );
      assert.match(problem, /a public server never sees a connection come from it/, replay(what));
    }
    // The control: a public address is accepted, and so is a public network beside a private one's neighbour.
    assert.deepEqual(problemsOf({ target: "hcloud", sshAllowedCidrs: [PUBLIC, "172.32.0.1/32", "2a01:4f8::/48"] }), []);
  });

  it("a target on your own servers without your key", () => {
    const problem = refusedAs(
      problemsOf({ target: "static", sut: { address: "sut.example.net" }, loadgen: { address: "lg.example.net" } }),
      "ssh-key-missing",
      "static, no key",
    );
    assert.match(problem, /pulumi config set --secret edge-lab:sshPrivateKey < /, "from its file, on stdin");
    refusedAs(
      problemsOf({ target: "hcloud-baremetal", sshAllowedCidrs: [PUBLIC], sut: { address: "81.2.69.1" } }),
      "ssh-key-missing",
      "hcloud-baremetal, no key",
    );
  });

  it("a key with a passphrase (OpenSSH and PEM, every cipher ssh-keygen writes), never shown", () => {
    const keygen = (file: string, args: string[]) => {
      const r = spawnSync("ssh-keygen", ["-q", "-f", join(dir, file), "-C", "", ...args], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(join(dir, file), "utf8");
    };
    const locked = [
      keygen("ed25519", ["-t", "ed25519", "-N", "a passphrase"]),
      keygen("ed25519-aes128", ["-t", "ed25519", "-N", "x", "-Z", "aes128-ctr"]),
      keygen("rsa-pem", ["-t", "rsa", "-b", "1024", "-m", "PEM", "-N", "a passphrase"]),
    ];
    for (const [i, key] of locked.entries()) {
      const body = key.split("\n")[1] ?? key;
      const problem = refusedAs(
        problemsOf({ target: "static", sut: { address: "s.example.net" }, sshPrivateKey: key }),
        "ssh-key-passphrase",
        `key ${i}`,
        body,
      );
      assert.match(problem, /^edge-lab:sshPrivateKey/, "names the key");
      assert.match(problem, /ssh-keygen -t ed25519 -N '' /, "says how to make one without");
    }
    // The control: the same kind of key without a passphrase is accepted.
    const open = keygen("open", ["-t", "ed25519", "-N", ""]);
    const accepted = problemsOf({
      target: "static",
      sut: { address: "s.example.net" },
      loadgen: { address: "l.example.net" },
      sshPrivateKey: open,
    });
    assert.deepEqual(accepted, []);
  });

  it("your private key on a target whose servers the stack makes (it has a key of its own)", () => {
    for (const target of ["hcloud", "scaleway"]) {
      const problem = refusedAs(
        problemsOf({ target, sshAllowedCidrs: [PUBLIC], sshPrivateKey: TEST_PRIVATE_KEY }),
        "ssh-key-unused",
        target,
        TEST_PRIVATE_KEY.split("\n")[1],
      );
      assert.match(problem, /pulumi config rm edge-lab:sshPrivateKey/);
    }
  });

  it("a token or key without the provider's shape: truncated, padded, pasted twice, another provider's; the value never shown", () => {
    const scwAccess = "SCWABCDEFGHIJ0123456";
    const scwSecret = "5ec7e70a-7e57-4a11-8000-00000000abcd";
    const bad: [keyof typeof TOKEN_SHAPES, string][] = [
      ["hcloudToken", TEST_TOKEN.slice(0, 63)],
      ["hcloudToken", `${TEST_TOKEN}\n`],
      ["hcloudToken", ` ${TEST_TOKEN}`],
      ["hcloudToken", TEST_TOKEN + TEST_TOKEN],
      ["hcloudToken", scwSecret],
      ["scalewayAccessKey", scwAccess.toLowerCase()],
      ["scalewayAccessKey", scwAccess.slice(0, 19)],
      ["scalewaySecretKey", scwSecret.toUpperCase()],
      ["scalewaySecretKey", scwAccess],
      ["scalewayProjectId", `{${scwSecret}}`],
      ...HOSTILE_STRINGS.map((s): [keyof typeof TOKEN_SHAPES, string] => [
        rng.pick(Object.keys(TOKEN_SHAPES) as (keyof typeof TOKEN_SHAPES)[]),
        s,
      ]),
    ];
    for (const [shape, value] of bad) {
      const what = `${shape} ${JSON.stringify(value).slice(0, 40)}`;
      const problem = tokenProblem("the-key", value, TOKEN_SHAPES[shape]);
      assert.ok(problem !== null, replay(`${what}: accepted`));
      const text = refusedAs([problem], "token-shape", what, value.length >= 8 ? value.trim() : undefined);
      assert.match(text, new RegExp(`expected ${TOKEN_SHAPES[shape].expected.replace(/[()]/g, "\\$&")}`), replay(what));
      assert.match(text, /copy it again from /, replay(what));
    }
    for (const [shape, value] of [
      ["hcloudToken", TEST_TOKEN],
      ["scalewayAccessKey", scwAccess],
      ["scalewaySecretKey", scwSecret],
    ] as const) {
      assert.equal(tokenProblem("the-key", value, TOKEN_SHAPES[shape]), null, `${shape} of the right shape`);
    }
  });

  it("a token of the wrong shape stops the Hetzner provider before anything is made", () => {
    const saved = process.env.HCLOUD_TOKEN;
    process.env.HCLOUD_TOKEN = TEST_TOKEN.slice(1);
    try {
      const config = parseLabConfig({ target: "hcloud", sshAllowedCidrs: [PUBLIC] }, "dev");
      assert.throws(
        () => hetznerCredentials("dev", config),
        (error: unknown) =>
          error instanceof ConfigError &&
          refusedAs([...error.problems], "token-shape", "HCLOUD_TOKEN", TEST_TOKEN.slice(1)).startsWith("HCLOUD_TOKEN"),
      );
    } finally {
      if (saved === undefined) delete process.env.HCLOUD_TOKEN;
      else process.env.HCLOUD_TOKEN = saved;
    }
  });

  it("a profile whose generator the load generator host cannot reach: refused by the plan, with what to change", () => {
    for (const generator of ["autocannon", "wrk"] as const) {
      const revision = pinnedForTests(loadRevision(TEST_REVISION));
      const profile = revision.profiles.paper;
      assert.ok(profile);
      profile.generator = generator;
      if (generator === "wrk") delete revision.downloads?.apt.packages.wrk;
      const config = parseLabConfig({ target: "hcloud", sshAllowedCidrs: [PUBLIC], revision: TEST_REVISION }, "dev");
      let problems: string[] = [];
      try {
        planLab(config, revision);
      } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        problems = [...error.problems];
      }
      const problem = refusedAs(problems, "generator-unreachable", generator);
      assert.match(problem, new RegExp(`runs generator ${generator}, `));
      assert.match(problem, /set generator: k6.* in the profile, or run this profile with npm run lab/);
    }
  });

  it("a platform whose package the hosts' OS lacks (gvisor: runsc), without its vendor's repository; preview names the one it uses", () => {
    const planOf = (revision: Revision, target: string) => {
      const raw = target === "local" ? { target } : { target, sshAllowedCidrs: [PUBLIC] };
      const config = parseLabConfig({ ...raw, profile: "paper-2x2" }, "dev");
      try {
        return { plan: planLab(config, revision), problems: [] };
      } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        return { plan: null, problems: [...error.problems] };
      }
    };
    const base = () => pinnedForTests(loadRevision("paper-2025"));
    const broken: [string, AptPackage | null][] = [
      ["no runsc at all", null],
      ["runsc from the OS archive", { version: null, for: ["gvisor"] }],
      ["runsc for docker only", { version: null, for: ["docker"], from: "docker" }],
      ["runsc from a repository not named", { version: null, for: ["gvisor"], from: "gvisor" }],
    ];
    for (const [what, runsc] of broken) {
      const revision = base();
      const packages = revision.downloads?.apt.packages;
      assert.ok(packages);
      if (runsc) packages.runsc = runsc;
      for (const target of ["scaleway", "hcloud"]) {
        const problem = refusedAs(planOf(revision, target).problems, "vendor-repository-missing", `${target}, ${what}`);
        assert.match(problem, /^profile paper-2x2 runs gvisor, which needs runsc from its vendor's apt repository/);
        assert.match(problem, /key: \{ url, fingerprint \}/, "says the key's fingerprint is to be given");
      }
      // This machine's own target takes runsc from its OS (Debian 12's backports) or skips gvisor.
      assert.ok(!planOf(revision, "local").problems.some((p) => refusalOf(p) === "vendor-repository-missing"));
    }
    // With gVisor's repository named, preview says where runsc comes from and which key it holds to.
    const revision = base();
    const apt = revision.downloads?.apt;
    assert.ok(apt);
    const fingerprint = "0123456789ABCDEF0123456789ABCDEF01234567";
    apt.repositories.gvisor = {
      url: "https://storage.googleapis.com/gvisor/releases",
      suite: "release",
      components: ["main"],
      key: { url: "https://gvisor.dev/archive.key", fingerprint },
    };
    apt.packages.runsc = { version: null, for: ["gvisor"], from: "gvisor" };
    const { plan, problems } = planOf(revision, "scaleway");
    assert.deepEqual(problems, []);
    assert.ok(
      plan?.notes.some(
        (n) =>
          n.startsWith(
            "runsc (gvisor) comes from the gvisor apt repository https://storage.googleapis.com/gvisor/releases release",
          ) && n.endsWith(fingerprint),
      ),
      JSON.stringify(plan?.notes),
    );
    assert.ok(plan?.aptPackages.sut.includes("runsc"), "the apt step installs it on the SUT");
  });

  it("every refusal has a case above, and docs/pulumi-lab.md lists it", () => {
    const doc = readFileSync(join(repoRoot, "docs", "pulumi-lab.md"), "utf8");
    for (const name of Object.keys(REFUSALS) as RefusalName[]) {
      assert.ok(tried.has(name), `no hostile case for [${name}]`);
      assert.ok(doc.includes(`\`${name}\``), `docs/pulumi-lab.md does not list [${name}]`);
    }
  });
});
