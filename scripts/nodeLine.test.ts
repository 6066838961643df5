/**
 * The Node line is one number: package.json's `engines.node` floor. The install script keeps a Node
 * on PATH that scripts/check-node.cjs accepts (it reads the same field) and otherwise installs the
 * revision's pinned Node; every locked dependency must accept both, or a fresh `npm ci` prints
 * EBADENGINE (vega-lite 6.5.0 once asked for Node 22 while the project said 20). And every locked
 * package with an install script is named in `allowScripts`: npm 11 skips the others with a warning,
 * so each one is a decision written down (docs/install.md says why none is needed).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { repoRoot } from "../core/paths";

/** npm's own range grammar (semver is in the tree through @pulumi/pulumi and npm's libraries). */
const semver = createRequire(__filename)("semver") as { satisfies(version: string, range: string): boolean };

interface LockedPackage {
  engines?: { node?: string } | string[];
  hasInstallScript?: boolean;
}
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  engines: { node: string };
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockedPackage>;
};

/** The floor of `>=MAJOR[.MINOR[.PATCH]]`, the one form scripts/check-node.cjs accepts. */
function floor(range: string): string {
  const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range);
  assert.ok(match, `package.json engines.node ${JSON.stringify(range)} is not of the form >=MAJOR[.MINOR[.PATCH]]`);
  return `${match[1]}.${match[2] ?? 0}.${match[3] ?? 0}`;
}

/** Locked packages whose engines.node does not accept `version`, as "path range". */
function refusing(version: string): string[] {
  return Object.entries(lock.packages).flatMap(([path, locked]) => {
    const range = Array.isArray(locked.engines) ? undefined : locked.engines?.node;
    return range !== undefined && !semver.satisfies(version, range) ? [`${path || "(root)"} ${range}`] : [];
  });
}

describe("the Node line", () => {
  it("every locked dependency accepts the engines floor", () => {
    const lowest = floor(pkg.engines.node);
    assert.deepEqual(refusing(lowest), [], `these refuse Node ${lowest}: raise engines.node or pin an older release`);
  });

  it("every locked dependency accepts the revision's pinned Node, which the install script installs", () => {
    const revision = parse(readFileSync(join(repoRoot, "revisions/paper-2025.yaml"), "utf8")) as {
      versions: { node: string };
    };
    const pinned = revision.versions.node;
    assert.ok(semver.satisfies(pinned, pkg.engines.node), `the pinned Node ${pinned} is outside ${pkg.engines.node}`);
    assert.deepEqual(refusing(pinned), []);
  });

  it("names every locked install script in allowScripts, and nothing else", () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([path, locked]) => path !== "" && locked.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length))
      .sort();
    assert.deepEqual(Object.keys(pkg.allowScripts ?? {}).sort(), [...new Set(withScripts)]);
  });
});
