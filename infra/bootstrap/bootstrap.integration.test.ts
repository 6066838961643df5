/**
 * The bootstrap for real, twice, in two Debian containers (a SUT and a load generator) fed from a
 * bundle directory. The container image is a `debootstrap --variant=minbase bookworm` root file
 * system, imported once and cached under a stable tag. What cannot be fetched here (Go, ops, the
 * Nanos kernel, Node, npm, k6) is a small stand-in file that prints the pinned version, with its
 * real sha256 in a test revision; Docker, QEMU, runsc and wrk come as stand-in packages from a
 * signed apt repository the test builds (infra/testing/aptRepo.ts), at the exact versions the test
 * revision names; base packages come from Debian's archive for real. EDGELAB_SKIP_HEAVY=1 leaves
 * out starting the Docker daemon, the KVM check and the clock check (no systemd, no /dev/kvm in a
 * container).
 *
 * Checked: every step succeeds and the preflights pass (including ssh from the SUT to k6 on the
 * load generator with the lab key); the apt packages are the revision's versions (a version
 * ending in * takes the newest match, and the exact version is recorded); the second run changes
 * nothing; a wrong pinned version (a tool's or a package's) fails the preflight; a file whose
 * checksum differs from the pin is refused; a repository key with another fingerprint is refused.
 * Every container it asks for is removed afterwards, also one Docker created but could not start.
 */

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import type { Revision } from "../../core/config/revision";
import { CommandError, run } from "../../core/exec";
import { repoRoot } from "../../core/paths";
import { dockerSkip, skipUnlessTool } from "../../core/testing/requirements";
import { loadRevision } from "../../lab/config/revision";
import { ensureDebianMinbaseImage as ensureImage, DEBIAN_MINBASE_IMAGE as IMAGE } from "../../lab/testing/debianImage";
import { buildCodeArchive, tarGz } from "../codeArchive";
import { parseLabConfig } from "../config";
import { parseHostFacts } from "../hostFacts";
import { pluginSetups, profileInstalls } from "../installs";
import { hostNetwork, networkOf } from "../network";
import { contextFor } from "../pipeline";
import { firewallRules } from "../providers/common";
import { type LabPlan, planLab } from "../stackPlan";
import { type AptRepo, buildAptRepo, type StandInPackage } from "../testing/aptRepo";
import { fileOf } from "../testing/downloads";
import { TEST_PRIVATE_KEY, TEST_REVISION } from "../testing/mockProgram";
import {
  authorizeStep,
  type BootstrapContext,
  type BootstrapStep,
  finalSteps,
  hostKeyStep,
  installSteps,
  labKeyStep,
  type PreflightOptions,
  pluginsFor,
  trustStep,
} from ".";
import { hostFirewallStep } from "./network";

const sh = (lines: string[]) => Buffer.from(`#!/bin/sh\n${lines.join("\n")}\n`);

/** The stand-in files of the bundle, by file name. */
function standIns(revision: Revision): Record<string, Buffer> {
  const v = revision.versions;
  const d = revision.downloads;
  if (!d?.k6Binary) throw new Error("the test revision needs downloads with k6Binary");
  const exe = (path: string, data: Buffer) => ({ path, data, executable: true });
  const node = sh([
    "# stand-in for the official Node binary (bootstrap test)",
    'case "$1" in',
    `  --version) echo v${v.node} ;;`,
    "  */npm-cli.js)",
    "    shift",
    '    case "$1" in',
    `      --version) echo ${d.npm.version} ;;`,
    "      ci) mkdir -p node_modules/.bin && printf '#!/bin/sh\\n' > node_modules/.bin/tsx && chmod +x node_modules/.bin/tsx ;;",
    '      *) echo "stand-in npm: $*" >&2; exit 1 ;;',
    "    esac ;;",
    '  *) echo "stand-in node: $*" >&2; exit 1 ;;',
    "esac",
  ]);
  return {
    [d.go.file]: tarGz([
      exe("go/bin/go", sh([`echo "go version go${v.go} linux/amd64"`])),
      exe("go/bin/gofmt", sh(["exit 0"])),
    ]),
    [fileOf(d, "ops").file]: sh([
      `[ "$1" = version ] && printf 'Ops version: ${v.ops}\\nNanos version: ${v.nanos}\\n'`,
    ]),
    [fileOf(d, "nanosKernel").file]: tarGz([
      { path: "kernel.img", data: randomBytes(4096) },
      { path: "boot.img", data: randomBytes(512) },
      { path: "klibs/README", data: Buffer.from("stand-in klibs\n") },
    ]),
    [fileOf(d, "nanosCommon").file]: tarGz([{ path: "etc/ssl/certs/stand-in.pem", data: Buffer.from("stand-in\n") }]),
    [`${revision.nodeBinary.npmPackage}-${v.node}.tgz`]: tarGz([exe("package/bin/node", node)]),
    [`npm-${d.npm.version}.tgz`]: tarGz([
      { path: "package/bin/npm-cli.js", data: Buffer.from("// stand-in\n") },
      { path: "package/bin/npx-cli.js", data: Buffer.from("// stand-in\n") },
    ]),
    [d.k6Binary.file]: sh([`echo "k6 v${v.k6} (commit/standin, go${d.goBuild.version}, linux/amd64)"`]),
  };
}

/** The test revision with the stand-ins' real checksums. */
function pinnedTo(base: Revision, files: Record<string, Buffer>): Revision {
  const rev = structuredClone(base);
  const d = rev.downloads;
  if (!d?.k6Binary) throw new Error("no downloads");
  const sha = (name: string) =>
    createHash("sha256")
      .update(files[name] as Buffer)
      .digest("hex");
  const sri = (name: string) =>
    `sha512-${createHash("sha512")
      .update(files[name] as Buffer)
      .digest("base64")}`;
  d.go.sha256 = sha(d.go.file);
  for (const key of ["ops", "nanosKernel", "nanosCommon"]) fileOf(d, key).sha256 = sha(fileOf(d, key).file);
  d.k6Binary.sha256 = sha(d.k6Binary.file);
  rev.nodeBinary.integrity = sri(`${rev.nodeBinary.npmPackage}-${rev.versions.node}.tgz`);
  d.npm.integrity = sri(`npm-${d.npm.version}.tgz`);
  return rev;
}

/** Where the containers see the test's apt repository. */
const REPO_MOUNT = "/mnt/edgelab-repo";

/** Stand-in packages at the test revision's versions, plus an older and a newer QEMU the version pattern must choose between. */
function standInPackages(revision: Revision): StandInPackage[] {
  const v = revision.versions;
  const exe = (path: string, lines: string[]) => ({
    path,
    content: `#!/bin/sh\n${lines.join("\n")}\n`,
    executable: true,
  });
  const at = (name: string) => {
    const version = revision.downloads?.apt.packages[name]?.version;
    if (!version) throw new Error(`the test revision pins no version for ${name}`);
    return version.replace(/\*$/, ".4");
  };
  return [
    {
      name: "docker-ce",
      version: at("docker-ce"),
      files: [exe("/usr/bin/dockerd", [`echo "Docker version ${v.docker}, build standin"`])],
    },
    {
      name: "docker-ce-cli",
      version: at("docker-ce-cli"),
      files: [exe("/usr/bin/docker", [`echo "Docker version ${v.docker}, build standin"`])],
    },
    { name: "containerd.io", version: "1.7.27-1", files: [exe("/usr/bin/containerd", ["echo containerd standin"])] },
    {
      name: "docker-buildx-plugin",
      version: "0.25.0-1~ubuntu.24.04~noble",
      files: [exe("/usr/libexec/docker/cli-plugins/docker-buildx", ["exit 0"])],
    },
    ...["1:8.2.2+ds-0ubuntu1.2", at("qemu-system-x86"), "1:9.0.0+ds-1"].map((version) => ({
      name: "qemu-system-x86",
      version,
      files: [
        exe("/usr/bin/qemu-system-x86_64", [
          `echo "QEMU emulator version ${version.replace(/^1:/, "").replace(/\+.*/, "")} (stand-in ${version})"`,
        ]),
      ],
    })),
    { name: "qemu-utils", version: at("qemu-utils"), files: [exe("/usr/bin/qemu-img", ["exit 0"])] },
    {
      name: "runsc",
      version: at("runsc"),
      files: [exe("/usr/bin/runsc", ["echo 'runsc version release-20240729.0'"])],
    },
    { name: "wrk", version: at("wrk"), files: [exe("/usr/bin/wrk", ["echo 'wrk 4.1.0 [epoll] stand-in'"])] },
  ];
}

/** The test revision's apt section pointed at the test's signed repository. */
function withRepo(base: Revision, repo: AptRepo): Revision {
  const rev = structuredClone(base);
  if (!rev.downloads) throw new Error("no downloads");
  rev.downloads.apt.repositories = {
    lab: {
      url: `file://${REPO_MOUNT}`,
      suite: repo.suite,
      components: [repo.component],
      key: { url: `file://${REPO_MOUNT}/key.asc`, fingerprint: repo.fingerprint },
    },
  };
  for (const p of Object.values(rev.downloads.apt.packages)) p.from = "lab";
  return rev;
}

interface Box {
  name: string;
  ip: string;
}

const ENV = ["-e", "EDGELAB_SKIP_HEAVY=1", "-e", "EDGELAB_OFFLINE=1"];

/** As the Pulumi program runs a step: the whole script as `bash -c` (stdin stays free). */
async function exec(box: Box, script: string): Promise<string> {
  const { stdout } = await run("docker", ["exec", ...ENV, box.name, "bash", "-c", script], { timeoutMs: 600_000 });
  return stdout.trim();
}

async function runSteps(box: Box, steps: readonly BootstrapStep[]): Promise<string[]> {
  const lines: string[] = [];
  for (const step of steps) lines.push(await exec(box, step.script));
  return lines;
}

/** Removes a container in any state (running, exited, or created and never started); says so when it cannot. */
async function removeContainer(name: string): Promise<void> {
  try {
    await run("docker", ["rm", "-f", "--volumes", name], { timeoutMs: 60_000 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/No such container/i.test(message)) process.stderr.write(`could not remove container ${name}: ${message}\n`);
  }
}

describe("the test's own clean-up", () => {
  it("removes a container Docker created but could not start", async (t) => {
    const skip = await dockerSkip();
    if (skip) return t.skip(skip);
    await ensureImage();
    const name = `edgelab-bt-unstartable-${randomBytes(3).toString("hex")}`;
    try {
      // A sysctl the kernel does not have: Docker creates the container, then runc cannot start it.
      await assert.rejects(
        run("docker", ["run", "-d", "--name", name, "--sysctl", "net.edgelab.none=1", IMAGE, "true"]),
      );
      const { stdout } = await run("docker", ["inspect", "-f", "{{.State.Status}}", name]);
      assert.equal(stdout.trim(), "created", "the case this clean-up is for");
    } finally {
      await removeContainer(name);
    }
    const { stdout } = await run("docker", ["ps", "-aq", "--filter", `name=^${name}$`]);
    assert.equal(stdout.trim(), "", "the container is gone");
  });
});

describe("bootstrap scripts in Debian containers (two runs, bundle only)", () => {
  let skip: string | false = false;
  let work = "";
  let sut: Box;
  let lg: Box;
  let revision: Revision;
  let plan: LabPlan;
  let sutCtx: BootstrapContext;
  let lgCtx: BootstrapContext;
  let repo: AptRepo;
  const suffix = randomBytes(3).toString("hex");
  const first: Record<string, string[]> = {};
  /** Every container this test asked Docker for, named before the ask: removed even if it never started. */
  const containers: string[] = [];

  const preflightFor = (role: "sut" | "loadgen"): PreflightOptions =>
    role === "sut"
      ? {
          strict: true,
          docker: true,
          requireKvm: true,
          minCores: 1,
          loadgen: { user: "root", address: lg.ip },
          plugins: pluginsFor(sutCtx, plan.plugins),
        }
      : { strict: true, docker: false, requireKvm: false, minCores: 1, loadgen: null, plugins: [] };

  /** Everything, in the order the Pulumi program chains it; returns each host's printed lines. */
  async function bootstrapAll(): Promise<Record<string, string[]>> {
    const install = { install: true, docker: true, k6FromBundle: plan.needs.k6FromBundle, plugins: plan.plugins };
    const [sutLines, lgLines] = await Promise.all([
      runSteps(sut, installSteps(sutCtx, install)),
      runSteps(lg, installSteps(lgCtx, install)),
    ]);
    const labKey = await exec(sut, labKeyStep(sutCtx));
    const hostKey = await exec(lg, hostKeyStep(lgCtx));
    const link = [
      await exec(lg, authorizeStep(lgCtx, labKey, sut.ip)),
      await exec(sut, trustStep(sutCtx, lg.ip, hostKey)),
    ];
    await run("docker", [
      "exec",
      lg.name,
      "bash",
      "-c",
      "mkdir -p /run/sshd && (pgrep -x sshd >/dev/null || /usr/sbin/sshd)",
    ]);
    const lgFinal = await runSteps(lg, finalSteps(lgCtx, preflightFor("loadgen")));
    const sutFinal = await runSteps(sut, finalSteps(sutCtx, preflightFor("sut")));
    return { sut: sutLines, loadgen: lgLines, keys: [labKey, hostKey], link, lgFinal, sutFinal };
  }

  before(async () => {
    skip =
      (await dockerSkip()) ||
      (await skipUnlessTool("debootstrap", ["--version"], "apt-get install debootstrap")) ||
      (await skipUnlessTool("dpkg-scanpackages", ["--version"], "apt-get install dpkg-dev")) ||
      (await skipUnlessTool("gpg", ["--version"], "apt-get install gnupg"));
    if (skip) return;
    await ensureImage();
    work = mkdtempSync(join(tmpdir(), "edgelab-bootstrap-"));
    const bundle = join(work, "bundle");
    mkdirSync(bundle);
    const files = standIns(loadRevision(TEST_REVISION));
    for (const [name, data] of Object.entries(files)) {
      writeFileSync(join(bundle, name), data);
      chmodSync(join(bundle, name), 0o644);
    }
    repo = await buildAptRepo(join(work, "repo"), standInPackages(loadRevision(TEST_REVISION)));
    revision = withRepo(pinnedTo(loadRevision(TEST_REVISION), files), repo);
    const revisionPath = join(work, "revision.yaml");
    writeFileSync(revisionPath, stringify(revision));
    const archive = buildCodeArchive(repoRoot, join(work, "code.tgz"));
    // As in a checkout: the Nanos platform's scripts, and the bootstrap's helpers they source.
    for (const file of [
      "lab/platforms/nanos/install-ops.sh",
      "lab/platforms/nanos/ops.sh",
      "infra/bootstrap/helpers.sh",
    ]) {
      mkdirSync(dirname(join(work, "checkout", file)), { recursive: true });
      copyFileSync(join(repoRoot, file), join(work, "checkout", file));
    }

    const start = async (role: string, sysctls: string[]): Promise<Box> => {
      const name = `edgelab-bt-${role}-${suffix}`;
      // Named first: `docker run` may create the container and then fail to start it ("Created").
      containers.push(name);
      await run("docker", [
        "run",
        "-d",
        "--name",
        name,
        "--hostname",
        `${role}-test`,
        ...sysctls.flatMap((s) => ["--sysctl", s]),
        // The host firewall step (providers without a firewall for bare metal) loads nftables rules.
        "--cap-add",
        "NET_ADMIN",
        "-v",
        `${bundle}:/opt/edgelab-bundle:ro`,
        "-v",
        `${work}:/mnt/edgelab-test:ro`,
        "-v",
        `${join(work, "repo")}:${REPO_MOUNT}:ro`,
        IMAGE,
        "sleep",
        "infinity",
      ]);
      const { stdout } = await run("docker", ["inspect", "-f", "{{.NetworkSettings.IPAddress}}", name]);
      return { name, ip: stdout.trim() };
    };
    [sut, lg] = await Promise.all([
      start("sut", ["net.ipv4.ip_local_port_range=32768 60999"]),
      start("loadgen", [
        "net.ipv4.ip_local_port_range=1024 65000",
        "net.ipv4.tcp_tw_reuse=1",
        "net.core.somaxconn=65535",
      ]),
    ]);
    const config = parseLabConfig(
      {
        target: "static",
        revision: revisionPath,
        sshPrivateKey: TEST_PRIVATE_KEY,
        bundleDir: bundle,
        sut: { address: sut.ip },
        loadgen: { address: lg.ip },
      },
      "container",
    );
    plan = planLab(config, loadRevision(revisionPath));
    const code = { archivePath: "/mnt/edgelab-test/code.tgz", sha256: archive.sha256 };
    // Every apt package of the revision on the SUT (runsc included), wrk on the load generator.
    sutCtx = {
      ...contextFor(plan, plan.hosts.sut, code),
      aptPackages: Object.keys(revision.downloads?.apt.packages ?? {}).filter((n) => n !== "wrk"),
    };
    lgCtx = contextFor(plan, plan.hosts.loadgen as NonNullable<typeof plan.hosts.loadgen>, code);
  });

  after(async () => {
    for (const name of containers) await removeContainer(name);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("installs everything from the bundle and passes both preflights (the SUT reaches k6 over ssh)", async (t) => {
    if (skip) return t.skip(skip);
    Object.assign(first, await bootstrapAll());
    assert.ok(plan.needs.k6FromBundle, "k6 comes from the bundle (no Go module proxy here)");
    for (const line of [...(first.sut ?? []), ...(first.loadgen ?? []), ...(first.link ?? [])]) {
      assert.match(line, /^[a-z0-9-]+: changed \(/, line);
    }
    assert.deepEqual(
      (first.sut ?? []).map((l) => l.split(":")[0]),
      ["base", "apt", "go", "node", "nanos-setup", "code"],
    );
    assert.deepEqual(
      (first.loadgen ?? []).map((l) => l.split(":")[0]),
      ["base", "apt", "k6", "code"],
    );
    const sutApt = first.sut?.[1] ?? "";
    assert.match(sutApt, /key lab [0-9A-F]{40}/);
    assert.match(sutApt, /docker-ce=5:28\.3\.1-1~ubuntu\.24\.04~noble/);
    assert.match(sutApt, /qemu-system-x86=1:8\.2\.2\+ds-0ubuntu1\.4/, "the newest 8.2.2 build, not 9.0.0");
    assert.match(sutApt, / containerd\.io /, "containerd.io beside docker-ce, at the repository's version");
    assert.match(first.loadgen?.[1] ?? "", /wrk=4\.1\.0-4build2/);
    assert.match(first.keys?.[0] ?? "", /^ssh-ed25519 \S+ edgelab-sut$/);
    assert.match(first.lgFinal?.[0] ?? "", /^preflight: ok \(\d+ checks, 1 skipped\)$/);
    assert.match(first.sutFinal?.[0] ?? "", /^preflight: ok \(\d+ checks, [1-9]\d* skipped\)$/);
    // The manifest's host-facts shape plus the bootstrap's own fields, checked by the one schema.
    const facts = parseHostFacts(first.sutFinal?.[1], "sut");
    assert.equal(facts?.role, "sut");
    assert.equal(facts?.hostname, "sut-test");
    assert.equal(parseHostFacts(first.lgFinal?.[1], "loadgen")?.role, "loadgen");
    assert.match(String(facts?.versions.go), /go1\.22\.2/);
    assert.equal(facts?.versions.nanos, "0.1.54");
    assert.equal(typeof facts?.kvm.usable, "boolean");
    assert.equal(facts?.packages && typeof facts.packages, "object");
    assert.deepEqual(facts?.packages, {
      "docker-ce": "5:28.3.1-1~ubuntu.24.04~noble",
      "docker-ce-cli": "5:28.3.1-1~ubuntu.24.04~noble",
      "containerd.io": "1.7.27-1",
      "docker-buildx-plugin": "0.25.0-1~ubuntu.24.04~noble",
      "qemu-system-x86": "1:8.2.2+ds-0ubuntu1.4",
      "qemu-utils": "1:8.2.2+ds-0ubuntu1.4",
      runsc: "0.0~20240729.0-1",
    });
  });

  it("changes nothing when run again", async (t) => {
    if (skip) return t.skip(skip);
    const second = await bootstrapAll();
    for (const line of [...(second.sut ?? []), ...(second.loadgen ?? []), ...(second.link ?? [])]) {
      assert.match(line, /^[a-z0-9-]+: unchanged$/, line);
    }
    assert.deepEqual(second.keys, first.keys, "the same lab key and host key");
    assert.deepEqual(second.lgFinal?.[0], first.lgFinal?.[0]);
    assert.deepEqual(second.sutFinal?.[0], first.sutFinal?.[0]);
  });

  it("fails the preflight when a version differs from the revision", async (t) => {
    if (skip) return t.skip(skip);
    const wrong = structuredClone(revision);
    wrong.versions.go = "1.22.3";
    wrong.versions.k6 = "9.9.9";
    const wrk = wrong.downloads?.apt.packages.wrk;
    if (wrk) wrk.version = "4.1.0-5";
    const qemu = wrong.downloads?.apt.packages["qemu-system-x86"];
    if (qemu) qemu.version = "1:9.0.0*";
    const downloads = wrong.downloads as NonNullable<Revision["downloads"]>;
    const sutWrong = { ...sutCtx, revision: wrong, downloads };
    const lgWrong = { ...lgCtx, revision: wrong, downloads };
    const failure = async (box: Box, script: string) => {
      try {
        await exec(box, script);
      } catch (error) {
        assert.ok(error instanceof CommandError);
        return error.message;
      }
      return assert.fail("the preflight passed");
    };
    const sutMessage = await failure(sut, finalSteps(sutWrong, preflightFor("sut"))[0]?.script ?? "");
    assert.match(sutMessage, /go: expected 1\.22\.3, found "1\.22\.2"/);
    assert.match(sutMessage, /k6 on root@[\d.]+: expected 9\.9\.9, found "1\.3\.0"/);
    assert.match(sutMessage, /package qemu-system-x86: expected 1:9\.0\.0\*, found "1:8\.2\.2\+ds-0ubuntu1\.4"/);
    const lgMessage = await failure(lg, finalSteps(lgWrong, preflightFor("loadgen"))[0]?.script ?? "");
    assert.match(lgMessage, /k6: expected 9\.9\.9, found "1\.3\.0"/);
    assert.match(lgMessage, /package wrk: expected 4\.1\.0-5, found "4\.1\.0-4build2"/);
  });

  it("refuses a file whose checksum is not the pinned one", async (t) => {
    if (skip) return t.skip(skip);
    const tampered = structuredClone(revision);
    fileOf(tampered.downloads, "nanosCommon").sha256 = "0".repeat(64);
    const downloads = tampered.downloads as NonNullable<Revision["downloads"]>;
    const plugins = pluginSetups(profileInstalls(plan.profile), tampered, downloads);
    const ops = installSteps(
      { ...sutCtx, revision: tampered, downloads },
      { install: true, docker: false, k6FromBundle: true, plugins },
    ).find((s) => s.id === "nanos-setup");
    await assert.rejects(
      exec(sut, ops?.script ?? ""),
      /nanos-common: nanos-common\.tar\.gz from the bundle .* has sha256 [0-9a-f]{64}, the revision pins 0{64}: refusing it/,
    );
  });

  it("refuses a repository key whose fingerprint is not the revision's", async (t) => {
    if (skip) return t.skip(skip);
    const other = structuredClone(revision);
    const lab = other.downloads?.apt.repositories.lab;
    if (lab) lab.key.fingerprint = "0".repeat(40);
    const apt = installSteps(
      { ...sutCtx, revision: other, downloads: other.downloads as NonNullable<Revision["downloads"]> },
      { install: true, docker: true, k6FromBundle: true },
    ).find((s) => s.id === "apt");
    await assert.rejects(
      exec(sut, apt?.script ?? ""),
      /lab: the key at file:\/\/\/mnt\/edgelab-repo\/key\.asc has fingerprint [0-9A-F]{40}, the revision names 0{40}: refusing it/,
    );
  });

  it("host firewall: the app port answers the load generator only; a second run changes nothing", async (t) => {
    if (skip) return t.skip(skip);
    await exec(sut, "command -v busybox >/dev/null || apt-get install -y -qq busybox >/dev/null");
    await exec(
      sut,
      "mkdir -p /tmp/www && echo edgelab-fw-ok > /tmp/www/index.html && { busybox httpd -f -p 8080 -h /tmp/www >/dev/null 2>&1 & echo $! > /tmp/www.pid; }",
    );
    const probe = `curl -s --max-time 4 http://${sut.ip}:8080/index.html || echo blocked`;
    assert.equal(await exec(lg, probe), "edgelab-fw-ok", "reachable before the firewall");
    const rules = firewallRules({
      sshAllowed: [networkOf("sshAllowedCidrs", "198.51.100.7/32")],
      loadgen: [hostNetwork(lg.ip)],
    });
    const step = hostFirewallStep("sut", rules.sut);
    try {
      assert.match(await exec(sut, step), /^host-firewall: changed \(.*firewall applied\)$/);
      assert.equal(await exec(sut, step), "host-firewall: unchanged");
      assert.equal(await exec(lg, probe), "edgelab-fw-ok", "the load generator reaches the app port");
      const { stdout } = await run("bash", ["-c", probe], { timeoutMs: 30_000 });
      assert.equal(stdout.trim(), "blocked", "this machine (not the load generator) does not");
      assert.match(
        await exec(sut, "nft list chain inet edgelab input"),
        /tcp dport 22 ip saddr 198\.51\.100\.7 accept/,
      );
    } finally {
      await exec(sut, 'nft delete table inet edgelab 2>/dev/null; kill "$(cat /tmp/www.pid)" || true');
    }
  });

  it("install-ops.sh: the same ops install on a researcher's machine, or one line saying why not", async (t) => {
    if (skip) return t.skip(skip);
    // As in a checkout: install-ops.sh beside the ops.sh it sources, the helpers where they are.
    const script = "/mnt/edgelab-test/checkout/lab/platforms/nanos/install-ops.sh";
    // This container has no /dev/kvm: one line, and nothing installed.
    const refused = await exec(sut, `bash ${script}`);
    assert.match(refused, /^ops: not installed: \/dev\/kvm is missing here [^\n]*$/);
    const d = revision.downloads as NonNullable<Revision["downloads"]>;
    // What scripts/installPlugins.ts gives it: the Nanos platform's downloads' variables.
    const nanos = pluginSetups(profileInstalls(plan.profile), revision, d).find((p) => p.plugin === "nanos");
    assert.ok(nanos);
    const env: Record<string, string> = {
      LAB_SKIP_KVM_CHECK: "1",
      LAB_BUNDLE_DIR: "/opt/edgelab-bundle",
      LAB_OFFLINE: "1",
      LAB_TOOLS_DIR: "/opt/edgelab-own-tools",
      LAB_HELPERS: "/mnt/edgelab-test/checkout/infra/bootstrap/helpers.sh",
      OPS_HOME: "/root/.ops-own",
      ...nanos.env,
    };
    const withEnv = `${Object.entries(env)
      .map(([k, v]) => `${k}='${v}'`)
      .join(" ")} bash ${script}`;
    assert.match(
      await exec(sut, withEnv),
      /^ops: changed \(ops 0\.1\.43 .*nanos kernel 0\.1\.54 .*\): ops 0\.1\.43, Nanos kernel 0\.1\.54 in \/root\/\.ops-own$/,
    );
    assert.match(
      await exec(sut, withEnv),
      /^ops: unchanged \(ops 0\.1\.43, Nanos kernel 0\.1\.54 in \/root\/\.ops-own\)$/,
    );
    assert.equal(
      await exec(sut, "cat /root/.ops-own/latest.txt && readlink /usr/local/bin/ops && ops version | head -n 1"),
      "0.1.54\n/opt/edgelab-own-tools/ops-0.1.43/ops\nOps version: 0.1.43",
    );
    // A file that is not the locked one is refused, as on the hosts.
    await assert.rejects(
      exec(
        sut,
        withEnv.replace(
          `NANOS_KERNEL_SHA256='${env.NANOS_KERNEL_SHA256 ?? ""}'`,
          `NANOS_KERNEL_SHA256='${"0".repeat(64)}'`,
        ),
      ),
      /nanos-kernel: nanos-release-linux-0\.1\.54\.tar\.gz from the bundle .* has sha256 [0-9a-f]{64}, the revision pins 0{64}: refusing it/,
    );
  });
});
