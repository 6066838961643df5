/**
 * The bootstrap for real, twice, in two Debian containers (a SUT and a load generator) fed from a
 * bundle directory. The container image is a `debootstrap --variant=minbase bookworm` root file
 * system, imported once and cached under a stable tag. What cannot be fetched here (Go, Docker's
 * static binaries, ops, the Nanos kernel, Node, npm, k6) is a small stand-in file that prints the
 * pinned version, with its real sha256 in a test revision; base packages come from Debian's
 * archive for real. EDGELAB_SKIP_HEAVY=1 leaves out QEMU from apt, starting the Docker daemon,
 * the KVM check and the clock check (no systemd, no /dev/kvm in a container).
 *
 * Checked: every step succeeds and the preflights pass (including ssh from the SUT to k6 on the
 * load generator with the lab key); the second run changes nothing; a wrong pinned version fails
 * the preflight; a file whose checksum differs from the pin is refused.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { loadRevision, type Revision } from "../../lab/config/revision";
import { CommandError, run } from "../../lab/exec";
import { repoRoot } from "../../lab/paths";
import { ensureDebianMinbaseImage as ensureImage, DEBIAN_MINBASE_IMAGE as IMAGE } from "../../lab/testing/debianImage";
import { dockerSkip, skipUnlessTool } from "../../lab/testing/requirements";
import { buildCodeArchive, tarGz } from "../codeArchive";
import { parseLabConfig } from "../config";
import { contextFor } from "../lab";
import { type LabPlan, planLab } from "../labPlan";
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
  trustStep,
} from ".";

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
  const dockerVersion = sh([`echo "Docker version ${v.docker}, build standin"`]);
  return {
    [d.go.file]: tarGz([
      exe("go/bin/go", sh([`echo "go version go${v.go} linux/amd64"`])),
      exe("go/bin/gofmt", sh(["exit 0"])),
    ]),
    [d.docker.file]: tarGz(
      ["docker", "dockerd", "containerd", "runc"].map((b) =>
        exe(
          `docker/${b}`,
          b === "docker"
            ? sh(['[ "$1" = --version ] || exit 1', `echo "Docker version ${v.docker}, build standin"`])
            : dockerVersion,
        ),
      ),
    ),
    [d.ops.file]: sh([`[ "$1" = version ] && printf 'Ops version: ${v.ops}\\nNanos version: ${v.nanos}\\n'`]),
    [d.nanosKernel.file]: tarGz([
      { path: "kernel.img", data: randomBytes(4096) },
      { path: "boot.img", data: randomBytes(512) },
      { path: "klibs/README", data: Buffer.from("stand-in klibs\n") },
    ]),
    [d.nanosCommon.file]: tarGz([{ path: "etc/ssl/certs/stand-in.pem", data: Buffer.from("stand-in\n") }]),
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
  for (const key of ["go", "docker", "ops", "nanosKernel", "nanosCommon"] as const) d[key].sha256 = sha(d[key].file);
  d.k6Binary.sha256 = sha(d.k6Binary.file);
  rev.nodeBinary.integrity = sri(`${rev.nodeBinary.npmPackage}-${rev.versions.node}.tgz`);
  d.npm.integrity = sri(`npm-${d.npm.version}.tgz`);
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

describe("bootstrap scripts in Debian containers (two runs, bundle only)", () => {
  let skip: string | false = false;
  let work = "";
  let sut: Box;
  let lg: Box;
  let revision: Revision;
  let plan: LabPlan;
  let sutCtx: BootstrapContext;
  let lgCtx: BootstrapContext;
  const suffix = randomBytes(3).toString("hex");
  const first: Record<string, string[]> = {};

  const preflightFor = (role: "sut" | "loadgen"): PreflightOptions =>
    role === "sut"
      ? {
          strict: true,
          docker: true,
          nanos: true,
          requireKvm: true,
          minCores: 1,
          loadgen: { user: "root", address: lg.ip },
        }
      : { strict: true, docker: false, nanos: false, requireKvm: false, minCores: 1, loadgen: null };

  /** Everything, in the order the Pulumi program chains it; returns each host's printed lines. */
  async function bootstrapAll(): Promise<Record<string, string[]>> {
    const install = { install: true, docker: true, nanos: true, k6FromBundle: plan.needs.k6FromBundle };
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
    skip = (await dockerSkip()) || (await skipUnlessTool("debootstrap", ["--version"], "apt-get install debootstrap"));
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
    revision = pinnedTo(loadRevision(TEST_REVISION), files);
    const revisionPath = join(work, "revision.yaml");
    writeFileSync(revisionPath, stringify(revision));
    const archive = buildCodeArchive(repoRoot, join(work, "code.tgz"));

    const start = async (role: string, sysctls: string[]): Promise<Box> => {
      const name = `edgelab-bt-${role}-${suffix}`;
      await run("docker", [
        "run",
        "-d",
        "--name",
        name,
        "--hostname",
        `${role}-test`,
        ...sysctls.flatMap((s) => ["--sysctl", s]),
        "-v",
        `${bundle}:/opt/edgelab-bundle:ro`,
        "-v",
        `${work}:/mnt/edgelab-test:ro`,
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
    sutCtx = contextFor(plan, plan.hosts.sut, code);
    lgCtx = contextFor(plan, plan.hosts.loadgen as NonNullable<typeof plan.hosts.loadgen>, code);
  });

  after(async () => {
    if (sut) await run("docker", ["rm", "-f", sut.name]).catch(() => undefined);
    if (lg) await run("docker", ["rm", "-f", lg.name]).catch(() => undefined);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("installs everything from the bundle and passes both preflights (the SUT reaches k6 over ssh)", async (t) => {
    if (skip) return t.skip(skip);
    Object.assign(first, await bootstrapAll());
    assert.ok(plan.needs.k6FromBundle, "k6 comes from the bundle (no Go module proxy here)");
    for (const line of [...(first.sut ?? []), ...(first.loadgen ?? []), ...(first.link ?? [])]) {
      // QEMU comes from apt and is left out here (EDGELAB_SKIP_HEAVY): nothing to change
      assert.match(line, line.startsWith("qemu:") ? /^qemu: unchanged$/ : /^[a-z0-9-]+: changed \(/, line);
    }
    assert.deepEqual(
      (first.sut ?? []).map((l) => l.split(":")[0]),
      ["base", "docker", "qemu", "go", "node", "ops", "code"],
    );
    assert.deepEqual(
      (first.loadgen ?? []).map((l) => l.split(":")[0]),
      ["base", "k6", "code"],
    );
    assert.match(first.keys?.[0] ?? "", /^ssh-ed25519 \S+ edgelab-sut$/);
    assert.match(first.lgFinal?.[0] ?? "", /^preflight: ok \(\d+ checks, 1 skipped\)$/);
    assert.match(first.sutFinal?.[0] ?? "", /^preflight: ok \(\d+ checks, [1-9]\d* skipped\)$/);
    const facts = JSON.parse(first.sutFinal?.[1] ?? "{}") as Record<string, unknown>;
    assert.equal(facts.role, "sut");
    assert.equal(facts.hostname, "sut-test");
    assert.match(String((facts.versions as Record<string, unknown>).go), /go1\.22\.2/);
    assert.equal((facts.versions as Record<string, unknown>).nanos, "0.1.54");
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
    const sutWrong = { ...sutCtx, revision: wrong };
    const lgWrong = { ...lgCtx, revision: wrong };
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
    const lgMessage = await failure(lg, finalSteps(lgWrong, preflightFor("loadgen"))[0]?.script ?? "");
    assert.match(lgMessage, /k6: expected 9\.9\.9, found "1\.3\.0"/);
  });

  it("refuses a file whose checksum is not the pinned one", async (t) => {
    if (skip) return t.skip(skip);
    const tampered = structuredClone(revision);
    if (tampered.downloads) tampered.downloads.nanosCommon.sha256 = "0".repeat(64);
    const ops = installSteps(
      { ...sutCtx, revision: tampered, downloads: tampered.downloads as NonNullable<Revision["downloads"]> },
      { install: true, docker: false, nanos: true, k6FromBundle: true },
    ).find((s) => s.id === "ops");
    await assert.rejects(
      exec(sut, ops?.script ?? ""),
      /nanos-common: nanos-common\.tar\.gz from the bundle .* has sha256 [0-9a-f]{64}, the revision pins 0{64}: refusing it/,
    );
  });
});
