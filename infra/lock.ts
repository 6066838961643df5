/**
 * The download lock beside a revision (revisions/<id>.lock.json), on the model of Terraform's
 * .terraform.lock.hcl: the files a revision names without a sha256 of its own (the files plugins
 * declare, lab/install.ts: ops, the Nanos kernel, ops' common files) are locked on first use. Their sha256 is computed, checked against the
 * vendor's own checksum where one is published (an MD5 beside ops and the kernel), written to the
 * lock and printed with a line saying how to review it. Every later use (the program on any
 * machine, every host's `fetch`) verifies against the lock and refuses a mismatch.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { z } from "zod";
import { ConfigError } from "../core/config/errors";
import type { Download, Downloads, Revision } from "../core/config/revision";
import { repoRoot } from "../core/paths";
import { downloadOf, downloadVersion, lockableDownloads } from "./installs";

/**
 * The downloads a revision names as files: the lab's toolchains and every registered plugin's
 * files (npm and Go modules carry their own integrity).
 */
export const LOCKABLE: readonly string[] = lockableDownloads();

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const LockEntrySchema = z
  .object({
    url: z.string(),
    file: z.string(),
    sha256: sha256Hex,
    /** The vendor's checksum the file was checked against on first use (absent: none is published). */
    vendorChecksum: z
      .object({ algorithm: z.enum(["md5", "sha256"]), url: z.string(), digest: z.string() })
      .strict()
      .optional(),
    /** The version the file is of (what the install script needs without the revision's YAML). */
    version: z.string().optional(),
    lockedAt: z.string(),
  })
  .strict();
export type LockEntry = z.output<typeof LockEntrySchema>;
const LockSchema = z
  .object({
    comment: z.string(),
    revision: z.string(),
    files: z.record(z.string(), LockEntrySchema),
  })
  .strict();
export type LockFile = z.output<typeof LockSchema>;

export type Fetcher = (url: string) => Promise<Buffer>;

export const httpFetch: Fetcher = async (url) => {
  const response = await fetch(url, { redirect: "follow" });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
};

let programDownloads: { fetcher: Fetcher; cacheDir?: string } = { fetcher: httpFetch };
/** How the program fetches and where it keeps files (tests serve stand-ins on localhost, cache elsewhere). */
export function setProgramDownloads(settings: { fetcher: Fetcher; cacheDir?: string }): void {
  programDownloads = settings;
}
export function programDownloadSettings(): { fetcher: Fetcher; cacheDir?: string } {
  return programDownloads;
}

/** revisions/paper-2025.yaml -> revisions/paper-2025.lock.json */
export function lockPathOf(revisionFile: string): string {
  return `${revisionFile.replace(/\.ya?ml$/, "")}.lock.json`;
}

export function readLock(path: string, revisionId: string): LockFile {
  if (!existsSync(path)) {
    return {
      comment:
        "Locked on first use by the Pulumi lab (infra/lock.ts): sha256 of each file the revision names without one, checked against the vendor's checksum where published. Review changes with git diff; commit this file.",
      revision: revisionId,
      files: {},
    };
  }
  const parsed = LockSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new Error(`${path} is not a valid lock file: ${parsed.error.message}`);
  return parsed.data;
}

function writeLock(path: string, lock: LockFile): void {
  const sorted = {
    ...lock,
    files: Object.fromEntries(Object.entries(lock.files).sort(([a], [b]) => a.localeCompare(b))),
  };
  writeFileSync(`${path}.tmp`, `${JSON.stringify(sorted, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** The first hex digest of the given length in a checksum file ("<hex>  <name>" or just "<hex>"). */
export function digestIn(text: string, hexLength: number): string | undefined {
  return new RegExp(`\\b([0-9a-fA-F]{${hexLength}})\\b`).exec(text)?.[1]?.toLowerCase();
}

const hex = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest("hex");

export interface LockOptions {
  revision: Revision;
  /** The revision's YAML file; the lock lives beside it. */
  revisionFile: string;
  /** The downloads this use needs (keys of the revision's downloads). */
  names: readonly string[];
  /** Files already here (same names as in the revision) are taken instead of downloading. */
  bundleDir?: string | null;
  /** Where downloaded files are kept on this machine (so a later use verifies them without the network). */
  cacheDir?: string;
  fetcher?: Fetcher;
  log?: (line: string) => void;
  /** Re-check every locked file (download it again when it is not cached). */
  verify?: boolean;
  now?: () => Date;
}

export interface LockResult {
  path: string;
  /** The revision's downloads with every locked sha256 filled in. */
  downloads: Downloads;
  /** Entries written on this use. */
  added: string[];
  /** Files whose vendor publishes no checksum (compare their sha256 with a second source). */
  unverified: string[];
}

/**
 * Resolve the sha256 of every download `names` needs: the revision's own pin, else the lock's
 * entry (verified against the cached file when there is one), else lock it now.
 */
export async function lockDownloads(options: LockOptions): Promise<LockResult> {
  const { revision } = options;
  const downloads = revision.downloads;
  if (!downloads) throw new Error(`revision ${revision.id} has no downloads section`);
  const fetcher = options.fetcher ?? httpFetch;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const cacheDir = options.cacheDir ?? join(repoRoot, "build", "downloads");
  const path = lockPathOf(options.revisionFile);
  const lock = readLock(path, revision.id);
  const resolved: Downloads = structuredClone(downloads);
  const added: string[] = [];
  const unverified: string[] = [];
  const where = relative(repoRoot, path).startsWith("..") ? path : relative(repoRoot, path);

  const bytesOf = async (d: Download): Promise<[Buffer, string]> => {
    const cached = join(cacheDir, d.file);
    if (options.bundleDir && existsSync(join(options.bundleDir, d.file))) {
      return [readFileSync(join(options.bundleDir, d.file)), `the bundle (${join(options.bundleDir, d.file)})`];
    }
    if (existsSync(cached)) return [readFileSync(cached), `the download cache (${cached})`];
    const data = await fetcher(d.url);
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(`${cached}.part`, data);
    renameSync(`${cached}.part`, cached);
    return [data, d.url];
  };

  for (const name of options.names) {
    const d = downloadOf(downloads, name);
    if (!d) {
      throw new ConfigError(`revision ${revision.id}`, [
        `downloads.${name} is missing: a plugin of this lab fetches it (lab/install.ts); name it in the revision`,
      ]);
    }
    if (d.sha256 !== null) continue; // pinned in the revision itself
    const entry = lock.files[name];
    if (entry) {
      if (entry.url !== d.url || entry.file !== d.file) {
        throw new ConfigError(`lock ${where}`, [
          `${name}: the lock holds ${entry.file} from ${entry.url}, the revision now names ${d.file} from ${d.url}: remove the entry "${name}" from ${where} to lock the new file on the next use`,
        ]);
      }
      const cached = [options.bundleDir ? join(options.bundleDir, d.file) : null, join(cacheDir, d.file)].find(
        (p): p is string => p !== null && existsSync(p),
      );
      if (cached || options.verify) {
        const [data, origin] = cached ? [readFileSync(cached), cached] : await bytesOf(d);
        const actual = hex("sha256", data);
        if (actual !== entry.sha256) {
          throw new ConfigError(`lock ${where}`, [
            `${name}: ${d.file} from ${origin} has sha256 ${actual}, the lock holds ${entry.sha256}: refusing it (the file changed since it was locked; if the vendor replaced it on purpose, review the change and remove the entry to lock it again)`,
          ]);
        }
      }
      (downloadOf(resolved, name) as Download).sha256 = entry.sha256;
      continue;
    }
    const [data, origin] = await bytesOf(d);
    const sha256 = hex("sha256", data);
    let vendorChecksum: LockEntry["vendorChecksum"];
    if (d.vendorChecksum) {
      const { algorithm, url } = d.vendorChecksum;
      const published = digestIn((await fetcher(url)).toString("utf8"), algorithm === "md5" ? 32 : 64);
      if (!published) throw new ConfigError(`lock ${where}`, [`${name}: no ${algorithm} digest in ${url}`]);
      const actual = hex(algorithm, data);
      if (published !== actual) {
        throw new ConfigError(`lock ${where}`, [
          `${name}: ${d.file} from ${origin} has ${algorithm} ${actual}, the vendor publishes ${published} (${url}): refusing it, nothing locked`,
        ]);
      }
      vendorChecksum = { algorithm, url, digest: published };
    } else {
      unverified.push(name);
    }
    const version = downloadVersion(name, revision);
    lock.files[name] = {
      url: d.url,
      file: d.file,
      sha256,
      ...(vendorChecksum ? { vendorChecksum } : {}),
      ...(version ? { version } : {}),
      lockedAt: (options.now ?? (() => new Date()))().toISOString(),
    };
    (downloadOf(resolved, name) as Download).sha256 = sha256;
    added.push(name);
    log(
      `locked ${name}: ${d.file} sha256 ${sha256} (${vendorChecksum ? `matches the vendor's ${vendorChecksum.algorithm} ${vendorChecksum.digest}` : "the vendor publishes no checksum: compare it with a second source"}); review with \`git diff ${where}\` and commit it`,
    );
  }
  if (added.length > 0) {
    mkdirSync(dirname(path), { recursive: true });
    writeLock(path, lock);
  }
  return { path, downloads: resolved, added, unverified };
}
