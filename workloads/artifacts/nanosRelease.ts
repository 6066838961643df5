/**
 * Where the lab finds a Nanos release on this machine, for the direct form (no ops): a folder
 * with `kernel.img`, `boot.img`, `klibs/` and `mkfs`. `EDGELAB_NANOS_RELEASE` names it; without
 * it the lab looks where ops keeps the release of the revision's version ($OPS_HOME/<version>,
 * ~/.ops/<version>), which is where the Pulumi hosts' ops step unpacks the locked
 * `nanos-release-linux-<version>.tar.gz`. That tarball carries no `mkfs` (the Nanos Makefile's
 * `release` target packs boot.img, kernel.img and the klibs only): build it from the Nanos source
 * of the same tag (`make mkfs`, output/tools/bin/mkfs) and put it in the folder.
 */
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const NANOS_RELEASE_ENV = "EDGELAB_NANOS_RELEASE";

export interface NanosRelease {
  dir: string;
  kernel: string;
  boot: string;
  mkfs: string;
  klibs: string;
  /** sha256 of kernel.img: what identifies the kernel in the results (the image holds no version string). */
  kernelSha256: string;
  /** Where the folder came from: the environment variable, or ops' folder. */
  source: string;
}

/** The folder to look in: $EDGELAB_NANOS_RELEASE, else ops' own folder for the version. */
export function nanosReleaseDir(
  version: string,
  env: NodeJS.ProcessEnv = process.env,
): { dir: string; source: string } {
  const named = env[NANOS_RELEASE_ENV];
  if (named !== undefined && named !== "") return { dir: named, source: NANOS_RELEASE_ENV };
  const opsHome = env.OPS_HOME ?? join(env.HOME ?? homedir(), ".ops");
  return { dir: join(opsHome, version), source: "ops' folder ($OPS_HOME or ~/.ops)" };
}

/**
 * The release, or why there is none: one sentence naming the folder, what is missing and what to
 * do (the platform's availability reason and a test's skip reason).
 */
export function findNanosRelease(version: string, env: NodeJS.ProcessEnv = process.env): NanosRelease | string {
  const { dir, source } = nanosReleaseDir(version, env);
  const how = `set ${NANOS_RELEASE_ENV} to a folder holding the Nanos ${version} kernel.img, boot.img, klibs/ and mkfs (docs/ops-nanos-notes.md)`;
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    return `no Nanos ${version} release at ${dir} (${source}): ${how}`;
  const missing = ["kernel.img", "boot.img", "klibs"].filter((name) => !existsSync(join(dir, name)));
  const mkfs = join(dir, "mkfs");
  let mkfsRunnable = true;
  try {
    accessSync(mkfs, constants.X_OK);
  } catch {
    mkfsRunnable = false;
  }
  if (!mkfsRunnable) missing.push("mkfs (executable; the release tarball has none: `make mkfs` in the Nanos source)");
  if (missing.length > 0) return `the Nanos release at ${dir} (${source}) lacks ${missing.join(", ")}: ${how}`;
  const kernel = join(dir, "kernel.img");
  return {
    dir,
    kernel,
    boot: join(dir, "boot.img"),
    mkfs,
    klibs: join(dir, "klibs"),
    kernelSha256: createHash("sha256").update(readFileSync(kernel)).digest("hex"),
    source,
  };
}
