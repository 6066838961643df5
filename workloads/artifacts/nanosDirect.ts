/**
 * The Nanos image without ops: the manifest ops 0.1.43 would build (./nanosManifest.ts), made
 * into a disk image by the Nanos release's own `mkfs` (`mkfs -b boot.img -k kernel.img image <
 * manifest`). The artifact is a folder holding `disk.img` (what the guest boots), `image.manifest`
 * and `manifest.prefix` (the manifest, open at its environment so an instance can add variables),
 * the kernel, boot image and mkfs it was made with, and the files ops generates. Where this and
 * ops part ways is written down in docs/ops-nanos-notes.md.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { run } from "../../core/exec";
import type { Runtime } from "../../core/model";
import { getRuntime } from "../runtimes/registry";
import { NoArtifactForm } from "../runtimes/types";
import type { ArtifactRecipe, BuildInputs, BuiltArtifact } from "./build";
import { assertElfHeadersInFirstPage } from "./elf";
import { nanosBuildPlan } from "./nanos";
import {
  MANIFEST_END,
  OPS_GENERATED_FILES,
  type OpsManifestInput,
  opsManifest,
  renderManifestPrefix,
} from "./nanosManifest";
import { findNanosRelease } from "./nanosRelease";
import { lddReport } from "./rootfs";
import { measureArtifactSize } from "./sizes";

/** The files of a nanos-direct artifact folder. */
export const NANOS_DIRECT_FILES = {
  disk: "disk.img",
  manifest: "image.manifest",
  prefix: "manifest.prefix",
  kernel: "kernel.img",
  boot: "boot.img",
  mkfs: "mkfs",
} as const;

/** The two files ops takes from ~/.ops/common (common.tar.gz), when its archive is here; found by name. */
async function commonFiles(dir: string, env: NodeJS.ProcessEnv): Promise<OpsManifestInput["common"]> {
  const opsHome = env.OPS_HOME ?? join(env.HOME ?? homedir(), ".ops");
  const archive = join(opsHome, "common.tar.gz");
  if (!existsSync(archive)) return {};
  const into = join(dir, "ops-common");
  mkdirSync(into, { recursive: true });
  await run("tar", ["-xzf", archive, "-C", into], { timeoutMs: 120_000 });
  const found: OpsManifestInput["common"] = {};
  const walk = (folder: string, depth: number) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory() && depth < 2) walk(path, depth + 1);
      else if (entry.name === "libnss_dns.so.2") found.libnssDns ??= path;
      else if (entry.name === "ca-certificates.crt") found.caCertificates ??= path;
    }
  };
  walk(into, 0);
  return found;
}

/** mkfs with the release's boot image and kernel, the manifest on stdin; its own words on failure. */
export function mkfsArgs(dir: string, image: string): string[] {
  return ["-b", join(dir, NANOS_DIRECT_FILES.boot), "-k", join(dir, NANOS_DIRECT_FILES.kernel), image];
}

/** Build the direct Nanos image of one runtime into <outDir>/nanos-direct/<runtime>. */
export async function buildNanosDirect(
  runtime: Runtime,
  inputs: BuildInputs,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BuiltArtifact> {
  const { revision } = inputs;
  const release = findNanosRelease(revision.versions.nanos, env);
  if (typeof release === "string") throw new Error(`nanos-direct: ${release}`);
  const described = getRuntime(runtime);
  if (!described.nanosProgram) throw new NoArtifactForm(runtime, "nanos-direct", "Nanos program");
  const program = await described.nanosProgram(inputs);
  assertElfHeadersInFirstPage(program.path);
  // The same config ops is given (Env, Args, Files, the build's Ports): see nanosBuildPlan.
  const plan = nanosBuildPlan(revision, runtime, program);
  const dir = join(inputs.outDir, "nanos-direct", runtime);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "ops-files"), { recursive: true });
  const generated = Object.fromEntries(
    Object.entries(OPS_GENERATED_FILES).map(([guest, content]) => {
      const host = join(dir, "ops-files", basename(guest));
      writeFileSync(host, content);
      return [guest, host];
    }),
  ) as OpsManifestInput["generated"];
  // ops copies each of Files into its build folder and reads it there (lepton/image.go:268-286).
  const files = program.files.map((file) => {
    const host = join(dir, basename(file));
    copyFileSync(file, host);
    return { name: basename(file), hostPath: host };
  });
  const ldd = await lddReport(program.path);
  if (ldd.missing.length > 0)
    throw new Error(`nanos-direct: ${program.path} needs libraries this machine lacks: ${ldd.missing.join(", ")}`);
  const common = await commonFiles(dir, env);
  const manifest = opsManifest({
    program: program.path,
    args: plan.config.Args ?? [],
    files,
    libraries: ldd.libraries,
    generated,
    common,
    env: plan.config.Env,
    ports: plan.config.RunConfig.Ports,
    imageName: plan.imageName,
    opsVersion: plan.opsVersion,
    nanosVersion: plan.nanosVersion,
  });
  const prefix = renderManifestPrefix(manifest);
  writeFileSync(join(dir, NANOS_DIRECT_FILES.prefix), prefix);
  writeFileSync(join(dir, NANOS_DIRECT_FILES.manifest), `${prefix}${MANIFEST_END}`);
  for (const [name, from] of [
    [NANOS_DIRECT_FILES.kernel, release.kernel],
    [NANOS_DIRECT_FILES.boot, release.boot],
    [NANOS_DIRECT_FILES.mkfs, release.mkfs],
  ] as const) {
    copyFileSync(from, join(dir, name));
  }
  chmodSync(join(dir, NANOS_DIRECT_FILES.mkfs), 0o755);
  const disk = join(dir, NANOS_DIRECT_FILES.disk);
  const { stdout } = await run(join(dir, NANOS_DIRECT_FILES.mkfs), mkfsArgs(dir, disk), {
    input: `${prefix}${MANIFEST_END}`,
    cwd: dir,
    timeoutMs: 300_000,
  });
  writeFileSync(join(dir, "mkfs.log"), stdout);
  const notes = [
    `the manifest ops ${plan.opsVersion} would build (program, arguments, environment, files, ${ldd.libraries.length} shared libraries), written to disk by the Nanos ${plan.nanosVersion} mkfs from ${release.dir} (${release.source})`,
  ];
  if (!common.libnssDns || !common.caCertificates) {
    notes.push(
      "ops' common archive (~/.ops/common.tar.gz) is not here: libnss_dns.so.2 and ca-certificates.crt, which ops would add, are left out (the apps resolve no names and use no TLS)",
    );
  }
  return {
    ref: dir,
    status: "built",
    size: await measureArtifactSize({ kind: "nanos-image", path: disk }),
    builtWith: {
      nanos: plan.nanosVersion,
      nanosKernelSha256: release.kernelSha256,
      manifestAs: `ops ${plan.opsVersion}`,
      [runtime]: described.pinnedVersion(revision),
    },
    notes,
  };
}

/** Whether a recorded artifact folder still holds its disk, manifest and tools. */
function present(ref: string): Promise<boolean> {
  return Promise.resolve(
    Object.values(NANOS_DIRECT_FILES).every(
      (name) => existsSync(join(ref, name)) && statSync(join(ref, name)).size > 0,
    ),
  );
}

/** A Nanos disk image per runtime, made without ops: what the nanos-direct platform boots. */
export const nanosDirectRecipe: ArtifactRecipe = {
  kind: "nanos-direct",
  build: (runtime, inputs) => buildNanosDirect(runtime, inputs),
  present,
};
