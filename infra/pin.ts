/**
 * Pin a revision's downloads: for every file whose sha256 is not pinned yet (or all of them with
 * --verify), take it from a bundle folder or download it, check it against the vendor's published
 * checksum where there is one, and write its sha256 into the revision file (comments kept).
 * --write-bundle DIR also keeps the files there: the bundle an air-gapped lab uploads.
 *
 *   npx tsx infra/pin.ts --revision paper-2025 [--bundle DIR] [--write-bundle DIR] [--verify]
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { parseFlags, runMain } from "../lab/cli/args";
import { type Download, loadRevision, revisionPath } from "../lab/config/revision";

/** The downloads a revision names as files (npm and Go modules carry their own integrity). */
export const PINNABLE = ["go", "goBuild", "docker", "ops", "nanosKernel", "nanosCommon"] as const;

export type Fetcher = (url: string) => Promise<Buffer>;

export const httpFetch: Fetcher = async (url) => {
  const response = await fetch(url, { redirect: "follow" });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
};

export interface PinOptions {
  /** Revision id or path. */
  revision: string;
  /** Take files from here first (same names as in the revision). */
  bundle?: string;
  /** Copy every checked file here. */
  writeBundle?: string;
  /** Check the already pinned files too (fails on a mismatch). */
  verify?: boolean;
  fetcher?: Fetcher;
  log?: (line: string) => void;
}

export interface PinResult {
  path: string;
  pinned: Record<string, string>;
  unverified: string[];
}

/** The first hex digest of the given length in a checksum file ("<hex>  <name>" or just "<hex>"). */
export function digestIn(text: string, hexLength: number): string | undefined {
  return new RegExp(`\\b([0-9a-fA-F]{${hexLength}})\\b`).exec(text)?.[1]?.toLowerCase();
}

async function bytesOf(d: Download, bundle: string | undefined, fetcher: Fetcher): Promise<[Buffer, string]> {
  if (bundle && existsSync(join(bundle, d.file))) return [readFileSync(join(bundle, d.file)), `bundle ${d.file}`];
  return [await fetcher(d.url), d.url];
}

export async function pinDownloads(options: PinOptions): Promise<PinResult> {
  const fetcher = options.fetcher ?? httpFetch;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const path =
    options.revision.endsWith(".yaml") || options.revision.includes("/")
      ? resolve(options.revision)
      : revisionPath(options.revision);
  const revision = loadRevision(path);
  if (!revision.downloads) throw new Error(`revision ${revision.id} has no downloads section`);
  const doc = parseDocument(readFileSync(path, "utf8"));
  const pinned: Record<string, string> = {};
  const unverified: string[] = [];
  for (const name of PINNABLE) {
    const d = revision.downloads[name];
    if (d.sha256 !== null && !options.verify) continue;
    const [data, origin] = await bytesOf(d, options.bundle, fetcher);
    const sha256 = createHash("sha256").update(data).digest("hex");
    if (d.vendorChecksum) {
      const algorithm = d.vendorChecksum.algorithm;
      const published = digestIn((await fetcher(d.vendorChecksum.url)).toString("utf8"), algorithm === "md5" ? 32 : 64);
      const actual = createHash(algorithm).update(data).digest("hex");
      if (!published) throw new Error(`${name}: no ${algorithm} digest in ${d.vendorChecksum.url}`);
      if (published !== actual) {
        throw new Error(
          `${name}: ${d.file} from ${origin} has ${algorithm} ${actual}, the vendor publishes ${published}`,
        );
      }
      log(`${name}: ${d.file} matches the vendor's ${algorithm} (${d.vendorChecksum.url})`);
    } else {
      unverified.push(name);
      log(
        `${name}: the vendor publishes no checksum for ${d.file}: compare sha256 ${sha256} with a second source before you commit it`,
      );
    }
    if (d.sha256 !== null && d.sha256 !== sha256) {
      throw new Error(`${name}: ${d.file} from ${origin} has sha256 ${sha256}, the revision pins ${d.sha256}`);
    }
    if (options.writeBundle) {
      mkdirSync(options.writeBundle, { recursive: true });
      if (origin.startsWith("bundle ") && options.bundle)
        copyFileSync(join(options.bundle, d.file), join(options.writeBundle, d.file));
      else writeFileSync(join(options.writeBundle, d.file), data);
    }
    pinned[name] = sha256;
    doc.setIn(["downloads", name, "sha256"], sha256);
  }
  if (Object.keys(pinned).length > 0) {
    writeFileSync(path, doc.toString({ lineWidth: 0 }));
    loadRevision(path); // still a valid revision
  }
  log(`${revision.id}: ${Object.keys(pinned).length} download(s) pinned or verified in ${path}`);
  return { path, pinned, unverified };
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
