/**
 * gVisor: the app in a Docker container whose runtime is runsc, a user-space kernel with its own
 * memory manager and (with `netstack`) its own TCP stack. CPU and memory knobs are Docker's own
 * (shared with the docker platform through containerRunArgs), so the two differ only in the kernel
 * underneath. The shell lives in lab/platforms/gvisor/*.sh, fed by variables set at its head.
 */
import { randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandError, run } from "../../core/exec";
import { type Shell, sh, shellCode, shellEnv, shellLines } from "../../core/shell";
import { dockerOfflineRecipe } from "../../workloads/artifacts/recipes";
import { containerCpuHow, containerRunArgs, RUN_LABEL } from "./docker";
import { scriptHead } from "./shell";
import type { Availability, InstanceContext, InstanceScripts, KnobSpec, Platform } from "./types";

/** netstack: gVisor's own user-space TCP stack; host: the host kernel's (runsc --network=host). */
export const GVISOR_NETWORKS = ["netstack", "host"] as const;
/** How the Sentry intercepts system calls (runsc --platform). */
export const GVISOR_PLATFORMS = ["systrap", "ptrace", "kvm"] as const;
export type GvisorNetwork = (typeof GVISOR_NETWORKS)[number];
export type GvisorPlatform = (typeof GVISOR_PLATFORMS)[number];

/** Where the real shell files are; generated scripts inline them so a remote host needs nothing else. */
export const GVISOR_SCRIPT_DIR = join(__dirname, "gvisor");
/** Environment variable carrying the run id into every lab gVisor container (the leftover marker). */
export const GVISOR_LAB_ENV = "EDGELAB_RUN";

/** The knobs in the shape of the plugin interface (KnobSpec). */
export const gvisorKnobs: Record<"gvisorNetwork" | "gvisorPlatform", KnobSpec> = {
  gvisorNetwork: {
    values: GVISOR_NETWORKS,
    default: "netstack",
    description:
      "netstack: gVisor's own user-space TCP stack (the analogue of Nanos's); host: runsc --network=host, the host kernel's stack",
  },
  gvisorPlatform: {
    values: GVISOR_PLATFORMS,
    default: "systrap",
    description: "how the Sentry intercepts system calls (runsc --platform); kvm needs /dev/kvm",
  },
};

/** The Docker runtime register-runtimes.sh registers for one knob combination. */
export function runtimeName(network: GvisorNetwork, platform: GvisorPlatform): string {
  return `runsc-${network}-${platform}`;
}

export const ALL_RUNTIME_NAMES: readonly string[] = GVISOR_NETWORKS.flatMap((n) =>
  GVISOR_PLATFORMS.map((p) => runtimeName(n, p)),
);

/** "runsc version 0.0~20240729.0\nspec: 1.0.2-dev" -> "0.0~20240729.0". */
export function parseRunscVersion(output: string): string | null {
  return /runsc version (\S+)/.exec(output)?.[1] ?? null;
}

/** The core of a failed `docker run`'s message (docker's prefix, runsc's nesting and help line cut). */
export function trialFailure(stderr: string): string {
  const line = stderr.split("\n").find((l) => l.includes("Error response from daemon")) ?? stderr.trim();
  const core = line
    .replace(/^.*Error response from daemon:\s*/, "")
    .replace(/:\s*unknown\.?\s*$/, "")
    .trim();
  const deepest = /cannot run with network enabled in root network namespace/.exec(core)?.[0];
  return (deepest ?? core).slice(0, 300) || "failed without a message";
}

/** What the availability check found about the gVisor network modes on this host. */
export interface NetworkDetection {
  working: GvisorNetwork[];
  failures: Partial<Record<GvisorNetwork, string>>;
}

/**
 * The network a cell runs with. The issue's rule: detect which mode works, use it, and record it.
 * `netstack` asked where only `host` works runs `host`, and says so in limits.json (network) and
 * the availability facts; the reverse never happens (host never falls back to netstack). With no
 * detection (scripts generated before any check, e.g. for a remote host) the asked mode runs.
 */
export function chooseNetwork(
  asked: GvisorNetwork,
  detection: NetworkDetection | undefined,
): { network: GvisorNetwork; note: string | null } {
  if (!detection || detection.working.includes(asked) || asked === "host" || !detection.working.includes("host")) {
    return { network: asked, note: null };
  }
  const why = detection.failures[asked] ?? "it failed the trial run";
  return { network: "host", note: `${asked} asked but it fails on this host (${why}): host used` };
}

let detected: NetworkDetection | undefined;

/** The detection the last availability check made, if any. */
export function currentDetection(): NetworkDetection | undefined {
  return detected;
}

/** Replace or forget the detection (tests). */
export function resetDetection(value?: NetworkDetection): void {
  detected = value;
}

function networkHow(network: GvisorNetwork, note: string | null): string {
  const how =
    network === "netstack"
      ? "gVisor netstack (user-space TCP stack in the Sentry), port published through docker-proxy/NAT"
      : "runsc --network=host (the host kernel's TCP stack in the container's namespace), port published through docker-proxy/NAT";
  return note ? `${how}; ${note}` : how;
}

/** One of the real shell files, as code to inline (a remote host gets one self-contained script). */
function shellFile(name: string): Shell {
  return shellCode(readFileSync(join(GVISOR_SCRIPT_DIR, name), "utf8"));
}

/** A script of the lab's shell files, fed its inputs as exported variables at its head. */
function generated(
  purpose: string,
  ctx: InstanceContext,
  vars: Record<string, string | number>,
  files: string[],
  extraLines?: Shell,
): string {
  const body = shellLines(files.map((file) => sh`# --- lab/platforms/gvisor/${file} ---\n${shellFile(file)}`));
  return sh`${scriptHead(purpose, ctx.workDir)}${shellLines([shellEnv(vars), extraLines])}
${body}`.text;
}

/** The instance's knobs with the network the host can run, and the Docker runtime that gives them. */
export function resolveInstance(ctx: InstanceContext): {
  network: GvisorNetwork;
  note: string | null;
  platform: GvisorPlatform;
  runtime: string;
} {
  const asked = (ctx.knobs.gvisorNetwork ?? gvisorKnobs.gvisorNetwork.default) as GvisorNetwork;
  const { network, note } = chooseNetwork(asked, detected);
  const platform = (ctx.knobs.gvisorPlatform ?? gvisorKnobs.gvisorPlatform.default) as GvisorPlatform;
  return { network, note, platform, runtime: runtimeName(network, platform) };
}

/** `docker run` arguments: docker's own CPU/memory/port arguments plus the runsc runtime. */
export function gvisorRunArgs(ctx: InstanceContext): string[] {
  return containerRunArgs(ctx, ctx.artifact, {
    network: "nat",
    runtime: resolveInstance(ctx).runtime,
    env: { [GVISOR_LAB_ENV]: ctx.runId },
    extra: ["--cidfile", "container.cid"],
  });
}

export function gvisorScripts(ctx: InstanceContext): InstanceScripts {
  const { network, note, platform, runtime } = resolveInstance(ctx);
  const { cpus, memoryMB } = ctx.resources;
  const what = `${ctx.runtime}, ${cpus} CPU, ${memoryMB} MB, ${runtime}`;
  const container = { CONTAINER: ctx.instanceName };
  return {
    prepare: generated(
      `gvisor prepare: ${what}`,
      ctx,
      {
        ...container,
        RUNTIME: runtime,
        GVISOR_PLATFORM: platform,
        CPUS: cpus,
        CPU_HOW: `${containerCpuHow(ctx)} on the sandbox; gVisor platform ${platform}`,
        MEMORY_MB: memoryMB,
        NETWORK_HOW: networkHow(network, note),
      },
      ["prepare.sh"],
    ),
    start: generated(
      `gvisor start: ${what}`,
      ctx,
      container,
      ["start.sh"],
      sh`DOCKER_RUN_ARGS=(${gvisorRunArgs(ctx)})`,
    ),
    stop: generated(`gvisor stop: ${ctx.instanceName}`, ctx, container, ["sandbox-lib.sh", "stop.sh"]),
    cleanup: generated(`gvisor cleanup: ${ctx.instanceName}`, ctx, container, ["sandbox-lib.sh", "cleanup.sh"]),
  };
}

/** The sweep that ends what lab runs left (for one run, or any), as one self-contained script. */
export function leftoversScript(runId?: string): string {
  return sh`#!/usr/bin/env bash
# Generated by the lab (gvisor leftovers). Do not edit: regenerate instead.
set -euo pipefail
${shellEnv({ RUN_LABEL, RUN_ID: runId ?? "", GVISOR_LAB_ENV })}
${shellFile("sandbox-lib.sh")}
${shellFile("leftovers.sh")}`.text;
}

/**
 * Remove every gVisor container of a lab run (all runs when no runId) and end the runsc sandbox,
 * gofer and shim processes of lab containers that Docker no longer knows. Returns what it ended.
 */
export async function cleanupLeftovers(options: { runId?: string } = {}): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "gvisor-leftovers-"));
  try {
    const script = join(dir, "leftovers.sh");
    writeFileSync(script, leftoversScript(options.runId));
    const { stdout } = await run("bash", [script], { timeoutMs: 120_000 });
    return stdout.split("\n").filter((line) => line.trim() !== "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A tiny static image for trial runs: busybox (Debian's busybox-static) alone, FROM scratch. */
export const PROBE_IMAGE = "edgelab-gvisor-probe:busybox";
const BUSYBOX = "/bin/busybox";

/** True for a 64-bit little-endian ELF without an interpreter (PT_INTERP): it runs FROM scratch. */
export function isStaticElf(bytes: Buffer): boolean {
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) return false;
  const phoff = Number(bytes.readBigUInt64LE(0x20));
  const phentsize = bytes.readUInt16LE(0x36);
  const phnum = bytes.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > bytes.length) return false;
    if (bytes.readUInt32LE(at) === 3) return false; // PT_INTERP: needs a dynamic loader
  }
  return true;
}

async function ensureProbeImage(): Promise<void> {
  const present = await run("docker", ["image", "inspect", PROBE_IMAGE]).then(
    () => true,
    () => false,
  );
  if (present) return;
  if (!existsSync(BUSYBOX) || !isStaticElf(readFileSync(BUSYBOX))) {
    throw new Error(`${BUSYBOX} is missing or not a static binary: install busybox-static`);
  }
  const context = mkdtempSync(join(tmpdir(), "gvisor-probe-"));
  try {
    writeFileSync(join(context, "busybox"), readFileSync(BUSYBOX), { mode: 0o755 });
    writeFileSync(
      join(context, "Dockerfile"),
      'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n',
    );
    await run("docker", ["build", "--quiet", "--tag", PROBE_IMAGE, context], { timeoutMs: 120_000 });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** A trial that takes longer has hung (runsc create with --platform=kvm and no usable /dev/kvm does). */
const TRIAL_DEADLINE_S = 10;

/** One `docker run --rm` of `busybox true` under a runtime; null when it worked, else why not. */
export async function trialRun(runtime: string): Promise<string | null> {
  const runId = `gvisor-probe-${randomBytes(3).toString("hex")}`;
  try {
    await run(
      "timeout",
      [
        "--signal=KILL",
        String(TRIAL_DEADLINE_S),
        "docker",
        "run",
        "--rm",
        `--runtime=${runtime}`,
        "--name",
        `edgelab-${runId}`,
        "--label",
        `${RUN_LABEL}=${runId}`,
        "--env",
        `${GVISOR_LAB_ENV}=${runId}`,
        "--memory=64m",
        "--memory-swap=64m",
        PROBE_IMAGE,
        "true",
      ],
      { timeoutMs: (TRIAL_DEADLINE_S + 10) * 1000 },
    );
    return null;
  } catch (error) {
    if (error instanceof CommandError && error.exitCode === null) return `no answer within ${TRIAL_DEADLINE_S} s`;
    if (error instanceof CommandError && error.exitCode === 137) return `no answer within ${TRIAL_DEADLINE_S} s`;
    return trialFailure(error instanceof CommandError ? error.stderr : String(error));
  } finally {
    // A failed runsc start leaves its sandbox and gofer running: end them now.
    await cleanupLeftovers({ runId }).catch(() => undefined);
  }
}

function kvmUsable(): boolean {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function checkAvailability(): Promise<Availability> {
  const facts: Availability["facts"] = {};
  let version: string | null = null;
  try {
    version = parseRunscVersion((await run("runsc", ["--version"], { timeoutMs: 10_000 })).stdout);
  } catch {
    return {
      ok: false,
      reason: "gvisor: runsc is not installed (Debian: apt-get install -t bookworm-backports runsc)",
      facts,
    };
  }
  facts.runscVersion = version;
  let runtimes: string[];
  try {
    const { stdout } = await run("docker", ["info", "--format", "{{json .Runtimes}}"], { timeoutMs: 20_000 });
    runtimes = Object.keys(JSON.parse(stdout) as Record<string, unknown>);
  } catch {
    return { ok: false, reason: "gvisor: the Docker engine does not answer", facts };
  }
  const missing = ALL_RUNTIME_NAMES.filter((name) => !runtimes.includes(name));
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `gvisor: Docker lacks the runtimes ${missing.join(", ")}: run lab/platforms/gvisor/register-runtimes.sh`,
      facts,
    };
  }
  try {
    await ensureProbeImage();
  } catch (error) {
    return { ok: false, reason: `gvisor: no trial image: ${(error as Error).message}`, facts };
  }
  // Trials run side by side: a good one takes about a second, a hung one (kvm) its deadline.
  const detection: NetworkDetection = { working: [], failures: {} };
  const networkTrials = await Promise.all(GVISOR_NETWORKS.map((n) => trialRun(runtimeName(n, "systrap"))));
  GVISOR_NETWORKS.forEach((network, i) => {
    const failure = networkTrials[i];
    if (failure === null) detection.working.push(network);
    else detection.failures[network] = failure ?? "no result";
  });
  const platforms: GvisorPlatform[] = ["systrap"];
  const reference = detection.working[0];
  if (reference) {
    const others = GVISOR_PLATFORMS.filter((p) => p !== "systrap");
    // Without a usable /dev/kvm runsc's kvm platform hangs in create rather than failing.
    const failures = await Promise.all(
      others.map((platform) =>
        platform === "kvm" && !kvmUsable()
          ? Promise.resolve("no usable /dev/kvm")
          : trialRun(runtimeName(reference, platform)),
      ),
    );
    others.forEach((platform, i) => {
      const failure = failures[i];
      if (failure === null) platforms.push(platform);
      else facts[`gvisorPlatformFailure_${platform}`] = failure ?? "no result";
    });
  }
  detected = detection;
  facts.gvisorNetworksWorking = detection.working.join(",");
  for (const [network, why] of Object.entries(detection.failures)) facts[`gvisorNetworkFailure_${network}`] = why;
  facts.gvisorNetworkForNetstack = chooseNetwork("netstack", detection).network;
  facts.gvisorNetworkForHost = chooseNetwork("host", detection).network;
  facts.gvisorPlatformsWorking = reference ? platforms.join(",") : "";
  if (!reference) {
    const why = Object.entries(detection.failures)
      .map(([n, f]) => `${n}: ${f}`)
      .join("; ");
    return { ok: false, reason: `gvisor: no network mode runs a trial container here (${why})`, facts };
  }
  return { ok: true, facts };
}

export const gvisorPlatform: Platform = {
  name: "gvisor",
  description: "docker run --runtime=runsc: a user-space kernel (gVisor) under Docker's CPU and memory limits",
  class: { kernel: "own", isolation: "process" },
  knobs: gvisorKnobs,
  sharedKnobs: ["cpuMode"],
  // The same offline image as docker: the two differ only in the kernel underneath.
  artifact: dockerOfflineRecipe,
  ports: "free",
  startCostS: 1.5,
  // As for docker: probing a container whose network is not there yet stalls connections.
  probeDuringStart: false,
  checkAvailability,
  scripts: gvisorScripts,
  cleanupLeftovers: async (scope) =>
    scope?.runIds
      ? (await Promise.all(scope.runIds.map((runId) => cleanupLeftovers({ runId })))).flat()
      : cleanupLeftovers(),
  host: {
    dockerEngine: true,
    // Ubuntu 24.04 has no runsc (Debian 12 has it in bookworm-backports): on the Pulumi hosts it
    // comes from gVisor's own apt repository, named in the revision with its key's fingerprint.
    vendorAptPackages: ["runsc"],
    installScript: sh`apt-get install -y --no-install-recommends jq busybox-static
# Debian 12 carries runsc in bookworm-backports only.
codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
if ! apt-get install -y --no-install-recommends runsc; then apt-get install -y --no-install-recommends -t "$codename-backports" runsc; fi
${shellFile("register-runtimes.sh")}`.text,
    preflightScript: sh`runsc --version | head -n 1
docker info --format '{{json .Runtimes}}' | jq -e ${`${JSON.stringify(ALL_RUNTIME_NAMES)} - keys | length == 0`} >/dev/null`
      .text,
  },
};
