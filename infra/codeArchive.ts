/**
 * The lab's code as one deterministic .tar.gz: the same files give the same bytes, so its sha256
 * is the code step's trigger and a host gets new code exactly when the code changed. Written in
 * plain JS (ustar) so it is the same on Linux and macOS, whatever tar the operator has.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { gzipSync } from "node:zlib";

/** What a host needs to run the engine (SUT) or k6 (load generator): no tests' outputs, no results, no secrets. */
export const CODE_PATHS = [
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "core",
  "lab",
  "workloads",
  "k6",
  "revisions",
];
/**
 * Never shipped, wherever they are. What the lab writes at the top (build/, .cache/, results/) is
 * outside CODE_PATHS; folders of the same name inside them are code (core/results, lab/results).
 */
const SKIP_NAMES = new Set(["node_modules", ".git", ".DS_Store"]);

export interface CodeArchive {
  path: string;
  sha256: string;
  files: number;
  bytes: number;
}

/** Files under `paths` (relative to root), sorted, as forward-slash paths. */
export function listCodeFiles(root: string, paths: readonly string[] = CODE_PATHS): string[] {
  const found: string[] = [];
  const walk = (abs: string) => {
    const st = statSync(abs);
    if (st.isDirectory()) {
      for (const name of readdirSync(abs)) if (!SKIP_NAMES.has(name)) walk(join(abs, name));
    } else if (st.isFile()) {
      found.push(relative(root, abs).split(sep).join("/"));
    }
  };
  for (const p of paths) walk(join(root, p));
  return found.sort();
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** A ustar header for a regular file (long paths split into prefix/name). */
function header(path: string, size: number, mode: number): Buffer {
  const block = Buffer.alloc(512, 0);
  let name = path;
  let prefix = "";
  if (Buffer.byteLength(path) > 100) {
    const cut = path.lastIndexOf("/", 155);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) throw new Error(`path too long for ustar: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  block.write(name, 0, 100, "utf8");
  block.write(octal(mode, 8), 100, 8, "ascii");
  block.write(octal(0, 8), 108, 8, "ascii"); // uid
  block.write(octal(0, 8), 116, 8, "ascii"); // gid
  block.write(octal(size, 12), 124, 12, "ascii");
  block.write(octal(0, 12), 136, 12, "ascii"); // mtime 0: deterministic
  block.write("        ", 148, 8, "ascii"); // checksum placeholder
  block.write("0", 156, 1, "ascii");
  block.write("ustar\0", 257, 6, "ascii");
  block.write("00", 263, 2, "ascii");
  block.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return block;
}

/** A deterministic gzip'd ustar of regular files: {archive path: contents, executable}. */
export function tarGz(entries: readonly { path: string; data: Buffer; executable?: boolean }[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry.path, entry.data.length, entry.executable ? 0o755 : 0o644), entry.data);
    const pad = (512 - (entry.data.length % 512)) % 512;
    if (pad > 0) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  // level and mtime fixed (zlib writes mtime 0 and no name): the same input gives the same bytes
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

/** Write the code archive of `root` to `outPath` (atomically) and return its hash. */
export function buildCodeArchive(root: string, outPath: string): CodeArchive {
  const files = listCodeFiles(root);
  const data = tarGz(
    files.map((path) => {
      const abs = join(root, path);
      return { path, data: readFileSync(abs), executable: (statSync(abs).mode & 0o111) !== 0 };
    }),
  );
  mkdirSync(dirname(outPath), { recursive: true });
  const tmp = `${outPath}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, outPath);
  return {
    path: outPath,
    sha256: createHash("sha256").update(data).digest("hex"),
    files: files.length,
    bytes: data.length,
  };
}
