/**
 * A results folder's checksum manifest (`checksums.sha256`, in sha256sum's format: `<hex>  <path>`
 * per file, sorted), written where the results were made and checked where they arrive. The Pulumi
 * lab writes it on the SUT after the last cell and checks it on the operator's machine before a
 * pulled-back file joins the results: a file that is missing, added, or differs by one byte is
 * refused with its name, and nothing of the pull lands in the results folder.
 *
 *   node --import tsx core/results/checksums.ts write DIR            prints the manifest's own sha256
 *   node --import tsx core/results/checksums.ts verify DIR [--manifest-sha256 HEX]
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

export const CHECKSUMS_FILE = "checksums.sha256";

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** A pulled-back folder that does not match its manifest: every problem names its file. */
export class ChecksumError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: readonly string[],
  ) {
    super(`${dir}: refused, it does not match its checksum manifest:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ChecksumError";
  }
}

/** Every regular file under dir (but the manifest), as `/`-separated relative paths, sorted; a link or an odd name is a problem. */
function listFiles(dir: string, problems: string[]): string[] {
  const found: string[] = [];
  const walk = (abs: string) => {
    for (const name of readdirSync(abs)) {
      const path = join(abs, name);
      const rel = relative(dir, path).split(sep).join("/");
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else if (!st.isFile()) problems.push(`${rel}: not a regular file (a results folder holds none)`);
      else if (/[\n\r\\]/.test(rel)) problems.push(`${JSON.stringify(rel)}: a file name the manifest cannot hold`);
      else if (rel !== CHECKSUMS_FILE) found.push(rel);
    }
  };
  walk(dir);
  return found.sort();
}

/** The manifest's text for a folder as it is now. */
export function manifestOf(dir: string): string {
  const problems: string[] = [];
  const lines = listFiles(dir, problems).map((rel) => `${sha256(readFileSync(join(dir, rel)))}  ${rel}`);
  if (problems.length > 0) throw new ChecksumError(dir, problems);
  return lines.map((l) => `${l}\n`).join("");
}

/** Write the folder's manifest (atomically); returns the manifest's own sha256. */
export function writeChecksums(dir: string): string {
  const text = manifestOf(dir);
  const path = join(dir, CHECKSUMS_FILE);
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
  return sha256(text);
}

/**
 * Check a folder against its manifest (and the manifest against the sha256 it was announced with,
 * when given): throws a ChecksumError naming every file that is missing, added or different.
 */
export function verifyChecksums(dir: string, manifestSha256?: string): void {
  let text: string;
  try {
    text = readFileSync(join(dir, CHECKSUMS_FILE), "utf8");
  } catch {
    throw new ChecksumError(dir, [`${CHECKSUMS_FILE}: missing (the results came without their manifest)`]);
  }
  if (manifestSha256 !== undefined && sha256(text) !== manifestSha256) {
    throw new ChecksumError(dir, [
      `${CHECKSUMS_FILE}: its sha256 is ${sha256(text)}, the SUT announced ${manifestSha256} (the manifest itself changed)`,
    ]);
  }
  const problems: string[] = [];
  const listed = new Map<string, string>();
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (!m) problems.push(`${CHECKSUMS_FILE} line ${i + 1}: not "<sha256>  <file>"`);
    else listed.set(m[2] as string, m[1] as string);
  }
  const present = listFiles(dir, problems);
  for (const rel of present) {
    const want = listed.get(rel);
    if (want === undefined) problems.push(`${rel}: not in the manifest (added after it was written)`);
    else if (sha256(readFileSync(join(dir, rel))) !== want)
      problems.push(`${rel}: its sha256 differs from the manifest's`);
  }
  for (const rel of listed.keys()) if (!present.includes(rel)) problems.push(`${rel}: in the manifest, missing here`);
  if (problems.length > 0) throw new ChecksumError(dir, problems);
}

if (require.main === module) {
  const [command, dir, flag, value] = process.argv.slice(2);
  try {
    if (command === "write" && dir && flag === undefined) process.stdout.write(`${writeChecksums(dir)}\n`);
    else if (command === "verify" && dir && (flag === undefined || (flag === "--manifest-sha256" && value))) {
      verifyChecksums(dir, value);
      process.stdout.write(`${dir}: every file matches its checksum manifest\n`);
    } else {
      process.stderr.write("usage: checksums.ts write DIR | verify DIR [--manifest-sha256 HEX]\n");
      process.exitCode = 2;
    }
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
