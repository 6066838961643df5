import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import type { Revision } from "../../core/config/revision";
import { APP_PORT, type Runtime } from "../../core/model";
import { sh, shellComment } from "../../core/shell";

/**
 * Keys ops accepts in config.json (ops types/config.go, `Config` and `RunConfig`). ops decodes
 * the file strictly, so a key outside these lists fails the build; tests hold every generated
 * config to them.
 */
export const OPS_CONFIG_KEYS = [
  "Args",
  "DisableArgsCopy",
  "BaseVolumeSz",
  "Boot",
  "UefiBoot",
  "Uefi",
  "BuildDir",
  "CloudConfig",
  "Debugflags",
  "Dirs",
  "Env",
  "Files",
  "Force",
  "Kernel",
  "MapDirs",
  "Mounts",
  "NameServer",
  "NanosVersion",
  "NightlyBuild",
  "NoTrace",
  "ManifestPassthrough",
  "Program",
  "ProgramPath",
  "RebootOnExit",
  "RunConfig",
  "LocalFilesParentDirectory",
  "TargetRoot",
  "Version",
  "Language",
  "Runtime",
  "Description",
  "VolumesDir",
  "PackageBaseURL",
  "PackageManifestURL",
] as const;

export const OPS_RUN_CONFIG_KEYS = [
  "Accel",
  "Bridged",
  "BridgeName",
  "CPUs",
  "Debug",
  "Gateway",
  "GdbPort",
  "Imagename",
  "InstanceGroup",
  "InstanceName",
  "IPAddress",
  "IPv6Address",
  "Klibs",
  "Memory",
  "Vga",
  "Mounts",
  "NetMask",
  "Background",
  "Ports",
  "ShowDebug",
  "ShowErrors",
  "ShowWarnings",
  "JSON",
  "TapName",
  "UDPPorts",
  "Verbose",
  "VolumeSizeInGb",
] as const;

/** `user`: QEMU user-mode (slirp) with a host port forward, the ops default the paper used. `bridged`: tap on a bridge. */
export type NanosNetwork = "user" | "bridged";

export interface NanosRunSpec {
  cpus: number;
  memoryMB: number;
  network: NanosNetwork;
  /** Request KVM. ops falls back to TCG silently when it is missing; the platform checks first. */
  accel: boolean;
  bridgeName?: string;
  tapName?: string;
  /** Bridged: the guest's static address on the bridge's subnet, its gateway and netmask (ops RunConfig). */
  ipAddress?: string;
  gateway?: string;
  netMask?: string;
  /** The app's environment beyond PORT (runtime knobs: GOMAXPROCS, NODE_OPTIONS). */
  env?: Readonly<Record<string, string>>;
}

export interface OpsRunConfig {
  Memory: string;
  CPUs: number;
  Ports: string[];
  Accel: boolean;
  Bridged?: boolean;
  BridgeName?: string;
  TapName?: string;
  IPAddress?: string;
  Gateway?: string;
  NetMask?: string;
}

export interface OpsConfig {
  /** argv after the program: for Node, the script it runs. */
  Args?: string[];
  /** Files copied into the image root, relative to the build folder. */
  Files?: string[];
  Env: Record<string, string>;
  RunConfig: OpsRunConfig;
}

/** What ops packs: an ELF, its arguments, and files beside it in the image root. */
export interface NanosProgram {
  path: string;
  args: string[];
  /** Host paths; each is copied into the build folder and lands at /<basename> in the image. */
  files: string[];
}

/** The resource-rich scenario of the paper (8 CPUs, 2048 MB) over user-mode networking. */
export const PAPER_RICH_RUN: NanosRunSpec = { cpus: 8, memoryMB: 2048, network: "user", accel: true };

function assertRunSpec(spec: NanosRunSpec): void {
  if (!Number.isInteger(spec.cpus) || spec.cpus < 1) {
    throw new Error(`nanos cpus = ${spec.cpus} is not allowed: use a whole number of 1 or more`);
  }
  if (!Number.isInteger(spec.memoryMB) || spec.memoryMB < 16) {
    throw new Error(`nanos memoryMB = ${spec.memoryMB} is not allowed: use a whole number of MB, 16 or more`);
  }
  if (spec.network === "bridged" && !spec.bridgeName) {
    throw new Error('nanos network = "bridged" needs bridgeName (the host bridge the tap joins)');
  }
}

/**
 * config.json for one runtime and one run: Memory, CPUs and Ports always set, because ops
 * defaults to 2G and one CPU whatever the experiment wants.
 */
export function opsConfig(spec: NanosRunSpec): OpsConfig {
  assertRunSpec(spec);
  const runConfig: OpsRunConfig = {
    Memory: `${spec.memoryMB}M`,
    CPUs: spec.cpus,
    Ports: [String(APP_PORT)],
    Accel: spec.accel,
  };
  if (spec.network === "bridged") {
    runConfig.Bridged = true;
    if (spec.bridgeName) runConfig.BridgeName = spec.bridgeName;
    if (spec.tapName) runConfig.TapName = spec.tapName;
    if (spec.ipAddress) runConfig.IPAddress = spec.ipAddress;
    if (spec.gateway) runConfig.Gateway = spec.gateway;
    if (spec.netMask) runConfig.NetMask = spec.netMask;
  }
  return { Env: { ...spec.env, PORT: String(APP_PORT) }, RunConfig: runConfig };
}

export function imageName(runtime: Runtime, revision: Revision): string {
  return `edgelab-${runtime}-${revision.id}`;
}

/**
 * Where `ops build -i NAME` should leave the image: $OPS_HOME/images/NAME. Some ops releases add
 * ".img"; the build prints the real path, which `parseOpsBuildOutput` reads (docs/ops-nanos-notes.md).
 */
export function opsImagePath(name: string, opsHome = process.env.OPS_HOME ?? join(homedir(), ".ops")): string {
  return join(opsHome, "images", name);
}

/** The image path from `ops build` output ("Bootable image file:/root/.ops/images/NAME"). */
export function parseOpsBuildOutput(output: string): string | undefined {
  return /Bootable image file:\s*(\S+)/.exec(output)?.[1];
}

export interface NanosBuildPlan {
  runtime: Runtime;
  /** The ELF ops packs (the static Go binary, or the official node binary), its args and files. */
  program: NanosProgram;
  imageName: string;
  imagePath: string;
  config: OpsConfig;
  nanosVersion: string;
  opsVersion: string;
  /** argv of the build, for `ops` itself. */
  buildArgs: string[];
}

/**
 * How one runtime's image is built. The kernel is pinned with --nanos-version so ops never moves
 * to the newest Nanos (which `ops update` and the install script would do).
 */
export function nanosBuildPlan(
  revision: Revision,
  runtime: Runtime,
  program: NanosProgram,
  run: NanosRunSpec = PAPER_RICH_RUN,
  configPath = "config.json",
): NanosBuildPlan {
  const name = imageName(runtime, revision);
  const config: OpsConfig = opsConfig(run);
  if (program.args.length > 0) config.Args = [...program.args];
  if (program.files.length > 0) config.Files = program.files.map((file) => basename(file));
  return {
    runtime,
    program,
    imageName: name,
    imagePath: opsImagePath(name),
    config,
    nanosVersion: revision.versions.nanos,
    opsVersion: revision.versions.ops,
    buildArgs: ["build", program.path, "-c", configPath, "-i", name, "--nanos-version", revision.versions.nanos],
  };
}

/** The build as a shell script: what the lab runs here when ops exists and what it ships to a SUT. */
export function nanosBuildScript(plan: NanosBuildPlan): string {
  return sh`#!/usr/bin/env bash
${shellComment(`Generated by the lab: the ${plan.runtime} Nanos image with ops ${plan.opsVersion} and the Nanos ${plan.nanosVersion} kernel.`)}
set -euo pipefail
cd "$(dirname "$0")"
ops ${plan.buildArgs}
`.text;
}

export interface NanosInputs {
  dir: string;
  configPath: string;
  buildScript: string;
}

export function writeNanosInputs(plan: NanosBuildPlan, dir: string): NanosInputs {
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, "config.json");
  const buildScript = join(dir, "build.sh");
  writeFileSync(configPath, `${JSON.stringify(plan.config, null, 2)}\n`);
  for (const file of plan.program.files) copyFileSync(file, join(dir, basename(file)));
  writeFileSync(buildScript, nanosBuildScript(plan));
  chmodSync(buildScript, 0o755);
  return { dir, configPath, buildScript };
}
