/**
 * Lock a revision's downloads ahead of time (the program locks them on first use too): for every
 * file the revision names without a sha256, take it from a bundle folder or download it, check it
 * against the vendor's published checksum where there is one, and write its sha256 into the lock
 * beside the revision (revisions/<id>.lock.json). --verify re-checks every locked file;
 * --write-bundle DIR also keeps the files there: the bundle an air-gapped lab uploads.
 *
 *   npx tsx infra/pin.ts --revision paper-2025 [--bundle DIR] [--write-bundle DIR] [--verify]
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseFlags, runMain } from "../core/cli/args";
import { revisionPath } from "../core/config/revision";
import { repoRoot } from "../core/paths";
import { loadRevision } from "../lab/config/revision";
import { downloadOf } from "./installs";
import { type Fetcher, LOCKABLE, type LockResult, lockDownloads } from "./lock";

export { digestIn, type Fetcher } from "./lock";

export interface PinOptions {
  /** Revision id or path. */
  revision: string;
  /** Take files from here first (same names as in the revision). */
  bundle?: string;
  /** Copy every checked file here. */
  writeBundle?: string;
  /** Check the already locked files too (fails on a mismatch). */
  verify?: boolean;
  fetcher?: Fetcher;
  log?: (line: string) => void;
  /** Where downloaded files are kept (default build/downloads). */
  cacheDir?: string;
}

export async function pinDownloads(options: PinOptions): Promise<LockResult> {
  const path =
    options.revision.endsWith(".yaml") || options.revision.includes("/")
      ? resolve(options.revision)
      : revisionPath(options.revision);
  const revision = loadRevision(path);
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const cacheDir = options.cacheDir ?? join(repoRoot, "build", "downloads");
  // Every file a plugin of this checkout fetches that the revision names (lab/install.ts).
  const names = LOCKABLE.filter((name) => revision.downloads && downloadOf(revision.downloads, name));
  const result = await lockDownloads({
    revision,
    revisionFile: path,
    names,
    bundleDir: options.bundle ?? null,
    cacheDir,
    verify: options.verify ?? false,
    log,
    ...(options.fetcher ? { fetcher: options.fetcher } : {}),
  });
  if (options.writeBundle) {
    mkdirSync(options.writeBundle, { recursive: true });
    const downloads = revision.downloads;
    for (const name of names) {
      const file = downloads ? downloadOf(downloads, name)?.file : undefined;
      if (!file) continue;
      const from = [options.bundle ? join(options.bundle, file) : null, join(cacheDir, file)].find(
        (p): p is string => p !== null && existsSync(p),
      );
      if (from) copyFileSync(from, join(options.writeBundle, file));
      else log(`${name}: ${file} is pinned in the revision and not downloaded here: add it to the bundle yourself`);
    }
  }
  log(`${revision.id}: ${result.added.length} download(s) locked in ${result.path}`);
  return result;
}

if (require.main === module) {
  runMain(async () => {
    const values = parseFlags(
      {
        revision: { type: "string", default: "paper-2025" },
        bundle: { type: "string" },
        "write-bundle": { type: "string" },
        verify: { type: "boolean", default: false },
      },
      "usage: npx tsx infra/pin.ts --revision ID|FILE [--bundle DIR] [--write-bundle DIR] [--verify]",
    );
    await pinDownloads({
      revision: values.revision,
      ...(values.bundle ? { bundle: values.bundle } : {}),
      ...(values["write-bundle"] ? { writeBundle: values["write-bundle"] } : {}),
      verify: values.verify,
    });
  });
}
