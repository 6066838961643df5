/**
 * The pristine Debian 12 the container tests start from: a `debootstrap --variant=minbase bookworm`
 * root file system (no Node, npm, git, curl or python3), imported into Docker once and cached under
 * a stable tag, so every test file after the first starts from it at once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../core/exec";
import { repoRoot } from "../../core/paths";
import { sh } from "../../core/shell";

/** Bump the suffix when the image's recipe changes. */
export const DEBIAN_MINBASE_IMAGE = "edgelab-bootstrap-test:bookworm-minbase-1";

/**
 * The Debian archive to debootstrap from: `LAB_DEBIAN_MIRROR` when set (a machine whose apt has no
 * bookworm entry, e.g. Ubuntu), otherwise the mirror this machine's apt uses for bookworm.
 */
export async function debianMirror(): Promise<string> {
  if (process.env.LAB_DEBIAN_MIRROR) return process.env.LAB_DEBIAN_MIRROR;
  const { stdout } = await run("bash", [join(repoRoot, "scripts", "apt-mirror.sh"), "bookworm"], { timeoutMs: 10_000 });
  return stdout.trim();
}

export async function ensureDebianMinbaseImage(): Promise<void> {
  try {
    await run("docker", ["image", "inspect", DEBIAN_MINBASE_IMAGE], { timeoutMs: 30_000 });
    return;
  } catch {
    // not cached yet: build it
  }
  const dir = mkdtempSync(join(tmpdir(), "debootstrap-"));
  const rootfs = join(dir, "rootfs");
  try {
    await run("debootstrap", ["--variant=minbase", "bookworm", rootfs, await debianMirror()], { timeoutMs: 900_000 });
    await run("bash", ["-c", sh`tar -C ${rootfs} -c . | docker import - ${DEBIAN_MINBASE_IMAGE}`.text], {
      timeoutMs: 300_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
