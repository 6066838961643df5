/**
 * The install script's two small parts that run before any Node is there: the apt mirror lookup
 * (scripts/apt-mirror.sh, on source files in the formats Debian 12 and Ubuntu 24.04 write) and the
 * Node version check (scripts/check-node.cjs, against package.json's engines).
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CommandError, run } from "../core/exec";
import { repoRoot } from "../core/paths";

const work = mkdtempSync(join(tmpdir(), "edgelab-install-unit-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** An /etc/apt lookalike with these files (relative path: content). */
function aptDir(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(join(dir, "sources.list.d"), { recursive: true });
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  return dir;
}

async function mirror(dir: string, suite: string): Promise<string> {
  const { stdout } = await run("bash", [join(repoRoot, "scripts", "apt-mirror.sh"), suite], {
    env: { ...process.env, APT_SOURCES_DIR: dir },
  });
  return stdout.trim();
}

/** The example mirrors below are fake hosts (.example); the scheme is kept apart so no file reads as a real mirror entry. */
const EXAMPLE_SCHEME = "http://";

// Debian 12's debian.sources as a cloud image writes it (mirror host replaced).
const DEBIAN_DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: ${EXAMPLE_SCHEME}mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: ${EXAMPLE_SCHEME}mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

// Ubuntu 24.04's ubuntu.sources (mirror hosts replaced).
const UBUNTU_DEB822 = `## Ubuntu sources have moved to /etc/apt/sources.list.d/ubuntu.sources
Types: deb
URIs: ${EXAMPLE_SCHEME}mirror.example/ubuntu/
Suites: noble noble-updates noble-backports
Components: main restricted universe multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg

Types: deb
URIs: ${EXAMPLE_SCHEME}security.example/ubuntu/
Suites: noble-security
Components: main restricted universe multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
`;

describe("scripts/apt-mirror.sh", () => {
  it("finds the suite's mirror in deb822 files (Debian 12, Ubuntu 24.04), trailing slash dropped", async () => {
    const debian = aptDir("debian", { "sources.list.d/debian.sources": DEBIAN_DEB822 });
    assert.equal(await mirror(debian, "bookworm"), "http://mirror.example/debian");
    assert.equal(await mirror(debian, "bookworm-updates"), "http://mirror.example/debian");
    assert.equal(await mirror(debian, "bookworm-security"), "http://mirror.example/debian-security");
    const ubuntu = aptDir("ubuntu", { "sources.list.d/ubuntu.sources": UBUNTU_DEB822 });
    assert.equal(await mirror(ubuntu, "noble"), "http://mirror.example/ubuntu");
    assert.equal(await mirror(ubuntu, "noble-security"), "http://security.example/ubuntu");
  });

  it("reads one-line sources.list, as debootstrap writes it, with options and comments", async () => {
    const dir = aptDir("oneline", {
      "sources.list": [
        "# deb http://commented.example/debian bookworm main",
        "deb-src http://source.example/debian bookworm main",
        "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://opts.example/debian bookworm-backports main",
        "deb http://mirror.example/debian bookworm main",
        "",
      ].join("\n"),
    });
    assert.equal(await mirror(dir, "bookworm"), "http://mirror.example/debian");
    assert.equal(await mirror(dir, "bookworm-backports"), "http://opts.example/debian");
  });

  it("skips disabled and deb-src-only entries, and names the files read when none lists the suite", async () => {
    const dir = aptDir("disabled", {
      "sources.list.d/off.sources": `Types: deb\nURIs: ${EXAMPLE_SCHEME}off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n\nTypes: deb-src\nURIs: ${EXAMPLE_SCHEME}src.example/debian\nSuites: bookworm\nComponents: main\n`,
    });
    await assert.rejects(mirror(dir, "bookworm"), (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.match(error.message, /apt-mirror: no enabled 'deb' entry for suite 'bookworm' in .*off\.sources/);
      return true;
    });
  });
});

describe("scripts/check-node.cjs", () => {
  /** A copy of the check beside a package.json with these engines. */
  function project(name: string, engines: unknown): string {
    const dir = join(work, name);
    mkdirSync(join(dir, "scripts"), { recursive: true });
    copyFileSync(join(repoRoot, "scripts", "check-node.cjs"), join(dir, "scripts", "check-node.cjs"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name, engines: { node: engines } }));
    return join(dir, "scripts", "check-node.cjs");
  }
  const check = (script: string) => run(process.execPath, [script]);

  it("passes on the Node running the tests with the repository's own engines", async () => {
    const { stdout, stderr } = await check(join(repoRoot, "scripts", "check-node.cjs"));
    assert.equal(stdout + stderr, "");
  });

  it("passes at the exact minimum and fails with one line below it", async () => {
    const [major, minor, patch] = process.versions.node.split(".").map(Number) as [number, number, number];
    await check(project("exact", `>=${major}.${minor}.${patch}`));
    await check(project("major", `>=${major}`));
    await assert.rejects(check(project("newer", `>=${major}.${minor}.${patch + 1}`)), (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.equal(error.exitCode, 1);
      const lines = error.stderr.trim().split("\n");
      assert.equal(lines.length, 1);
      assert.equal(
        lines[0],
        `edge-lab needs Node.js >=${major}.${minor}.${patch + 1} (package.json engines); this is Node ${process.versions.node} at ${process.execPath}: run \`bash scripts/install-system.sh\` as root (it installs the pinned Node), then retry`,
      );
      return true;
    });
    await assert.rejects(check(project("future", `>=${major + 1}`)), /needs Node\.js >=\d+ /);
  });

  it("names the field, the value and the allowed form for a range it cannot read", async () => {
    await assert.rejects(check(project("caret", "^20")), (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.equal(error.exitCode, 2);
      assert.match(
        error.stderr,
        /^check-node: package\.json engines\.node is "\^20"; allowed: >=MAJOR\[\.MINOR\[\.PATCH\]\]$/m,
      );
      return true;
    });
  });
});
