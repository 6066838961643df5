/**
 * A cpio archive in the "newc" format (the one the Linux kernel unpacks as an initramfs), written
 * here rather than by cpio(1) so the archive is reproducible: every entry has owner root, mtime 0
 * and inode numbers in archive order, whatever the build machine's files say.
 */

export type NewcEntry =
  | { type: "dir"; path: string; mode: number }
  | { type: "file"; path: string; mode: number; data: Buffer }
  | { type: "symlink"; path: string; target: string }
  /** A character device node, e.g. /dev/console (5, 1), which the kernel opens before /init runs. */
  | { type: "char"; path: string; mode: number; major: number; minor: number };

const TYPE_BITS = { dir: 0o040000, file: 0o100000, symlink: 0o120000, char: 0o020000 } as const;
const TRAILER = "TRAILER!!!";

function hex8(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`newc: field value ${value} does not fit 8 hex digits`);
  }
  return value.toString(16).padStart(8, "0");
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

/** Archive paths are relative ("init", "bin/busybox"), as the kernel expects. */
function archivePath(path: string): string {
  const relative = path.replace(/^\/+/, "");
  if (relative === "" || relative.split("/").some((part) => part === ".." || part === "")) {
    throw new Error(`newc: path ${JSON.stringify(path)} must be a normal path inside the archive`);
  }
  return relative;
}

function record(name: string, ino: number, mode: number, data: Buffer, rdev: [number, number] = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join("")}`, "ascii");
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

/**
 * The archive bytes. Parents must come before their children (the kernel creates entries in
 * order); a missing parent is an error here rather than a guest that cannot boot.
 */
export function writeNewc(entries: readonly NewcEntry[]): Buffer {
  const seen = new Set<string>();
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    const name = archivePath(entry.path);
    if (seen.has(name)) throw new Error(`newc: ${name} appears twice`);
    const parent = name.includes("/") ? name.slice(0, name.lastIndexOf("/")) : null;
    if (parent !== null && !seen.has(parent)) throw new Error(`newc: ${name} comes before its folder ${parent}`);
    seen.add(name);
    switch (entry.type) {
      case "dir":
        parts.push(...record(name, ino++, TYPE_BITS.dir | entry.mode, Buffer.alloc(0)));
        break;
      case "file":
        parts.push(...record(name, ino++, TYPE_BITS.file | entry.mode, entry.data));
        break;
      case "symlink":
        parts.push(...record(name, ino++, TYPE_BITS.symlink | 0o777, Buffer.from(entry.target)));
        break;
      case "char":
        parts.push(...record(name, ino++, TYPE_BITS.char | entry.mode, Buffer.alloc(0), [entry.major, entry.minor]));
        break;
    }
  }
  parts.push(...record(TRAILER, 0, 0, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** Every folder on the way to `paths`, parents first ("a", "a/b"), for entries that need them. */
export function parentDirs(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const path of paths) {
    const parts = archivePath(path).split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return [...dirs].sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : 1));
}
