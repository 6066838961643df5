import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Revision } from "../../core/config/revision";
import { run } from "../../core/exec";
import { cacheDir } from "../../core/paths";

export interface PinnedNode {
  /** Path of the official `node` binary of the pinned version. */
  path: string;
  version: string;
}

export function npmIntegrity(bytes: Buffer): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
}

async function nodeVersionOf(binary: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(binary, ["--version"], { timeoutMs: 20_000 });
    return stdout.trim().replace(/^v/, "");
  } catch {
    return undefined;
  }
}

/**
 * Where the tarball comes from: a bundle directory (air-gapped labs, `LAB_BUNDLE_DIR`) when it
 * holds one, otherwise the npm registry through `npm pack`. Either way the sha512 must match the
 * revision, so a bundle cannot smuggle in another binary.
 */
async function fetchTarball(pkg: string, version: string, workDir: string): Promise<string> {
  const bundled = process.env.LAB_BUNDLE_DIR ? join(process.env.LAB_BUNDLE_DIR, `${pkg}-${version}.tgz`) : undefined;
  if (bundled && existsSync(bundled)) return bundled;
  const { stdout } = await run("npm", ["pack", `${pkg}@${version}`, "--pack-destination", workDir, "--json"], {
    timeoutMs: 600_000,
  });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  if (!packed) throw new Error(`npm pack ${pkg}@${version} produced nothing`);
  return join(workDir, packed.filename);
}

/**
 * The paper's exact Node (the revision's `versions.node`), from the npm registry's official
 * binaries, verified and cached under .cache/node/<version>. No system install is touched.
 */
export async function ensurePinnedNode(revision: Revision): Promise<PinnedNode> {
  const version = revision.versions.node;
  const home = join(cacheDir, "node", version);
  const binary = join(home, "bin", "node");
  if (existsSync(binary) && (await nodeVersionOf(binary)) === version) return { path: binary, version };

  const { npmPackage, integrity } = revision.nodeBinary;
  mkdirSync(cacheDir, { recursive: true });
  // Inside the cache, so the final rename never crosses filesystems.
  const workDir = mkdtempSync(join(cacheDir, "tmp-node-"));
  try {
    const tarball = await fetchTarball(npmPackage, version, workDir);
    const actual = npmIntegrity(readFileSync(tarball));
    if (actual !== integrity) {
      throw new Error(
        `${npmPackage}@${version}: checksum mismatch (expected ${integrity}, got ${actual}); refusing to use it`,
      );
    }
    const unpacked = join(workDir, "unpacked");
    mkdirSync(unpacked);
    await run("tar", ["-xzf", tarball, "-C", unpacked, "--strip-components=1"]);
    chmodSync(join(unpacked, "bin", "node"), 0o755);
    rmSync(home, { recursive: true, force: true });
    mkdirSync(join(cacheDir, "node"), { recursive: true });
    renameSync(unpacked, home);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const found = await nodeVersionOf(binary);
  if (found !== version) throw new Error(`${binary} reports version ${found ?? "none"}, expected ${version}`);
  return { path: binary, version };
}
