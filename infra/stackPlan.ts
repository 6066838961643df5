/**
 * Everything the Pulumi lab decides before it creates a resource, as one pure function of the stack
 * config and the revision: the effective profile and its cells (the engine's own expandMatrix), the
 * run id, the host pairs and the cells each runs, what each host needs, which files come from the
 * bundle, the cost estimate per pair and the early errors for combinations that cannot work. The
 * host provider (infra/providers/) owns its hosts, checks and prices; the components in infra/
 * only turn this plan into resources.
 */

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "../core/config/errors";
import type { Profile } from "../core/config/profile";
import { profileOf } from "../core/config/profileLookup";
import type { AptPackage, Downloads, Revision } from "../core/config/revision";
import { estimateCellSeconds } from "../core/eta";
import type { GeneratorName } from "../core/load/types";
import { type Cell, canonicalJson } from "../core/matrix";
import { loadPaperReference } from "../core/paper/reference";
import { repoRoot } from "../core/paths";
import { expandMatrix } from "../lab/matrix";
import { declaredStartCostS, getPlatform } from "../lab/platforms/registry";
import { sha256 } from "./bootstrap/shell";
import type { PluginSetup } from "./bootstrap/types";
import { type LabConfig, NAMESPACE } from "./config";
import { generatorCeilingWarning, generatorProblems } from "./generatorCeiling";
import {
  downloadOf,
  downloadProblems,
  type PluginInstall,
  pluginDownloadKeys,
  pluginSetups,
  profileInstalls,
  pulumiGenerator,
  vendorPackageProblems,
} from "./installs";
import { REMOTE_LAB_DIR, resultsRoot } from "./layout";
import { runCostEur } from "./pricing";
import { providerOf } from "./providers";
import type { PairHosts, ProviderPlan } from "./providers/types";
import { calibrationCell, shardCells } from "./shard";

export type { HostPlan } from "./providers/types";

/** One SUT/load-generator pair and the cells it runs. */
export interface PairPlan {
  /** 1-based. */
  index: number;
  hosts: PairHosts;
  /** The cells this pair owns (every platform and repetition of its scenarios), in matrix order. */
  cells: Cell[];
  /** The calibration cell when another pair owns it (it runs here too, for comparing the pairs). */
  calibration: Cell | null;
  /** Measurement and per-cell overhead of this pair's cells. */
  sweepHours: number;
  /** This pair's servers for the run (null: a price is unknown). */
  runEur: number | null;
}

export interface LabPlan {
  config: LabConfig;
  /** Where the hosts fetch the pinned Node and npm: the registry this machine's npm is set to. */
  npmRegistry: string;
  revision: Revision;
  /** The revision's downloads with every sha256 resolved (the revision's own pins and the lock). */
  downloads: Downloads;
  profileName: string;
  /** The revision's profile with the stack's allowEmulation applied (cell ids follow from it). */
  profile: Profile;
  /** The revision as the SUT's runner gets it: the effective profile under the same name and id. */
  runRevision: Revision;
  cells: Cell[];
  runId: string;
  /** results/<stack>, on the SUT (under the lab folder) and in the operator's checkout. */
  resultsRoot: string;
  labDir: string;
  /** The host pairs (one unless edge-lab:pairs says more); each runs its shard of the cells. */
  pairs: PairPlan[];
  /** The first pair's hosts. */
  hosts: PairHosts;
  /** The cell every pair runs (null with one pair). */
  calibration: Cell | null;
  /** The generator the load generator runs (the profile's; k6 for auto). */
  generator: GeneratorName;
  /** From the platforms' declared host needs: the Docker engine, KVM (VM platforms). */
  needs: { docker: boolean; requireKvm: boolean; minCores: number; k6FromBundle: boolean };
  /** The installs of the profile's plugins (lab/install.ts) as the bootstrap runs them. */
  plugins: PluginSetup[];
  /** The apt packages each role installs (by name), from the revision's `downloads.apt`. */
  aptPackages: { sut: string[]; loadgen: string[] };
  /** Bundle files to upload, per host role (names in the bundle directory). */
  bundle: { dir: string | null; sut: string[]; loadgen: string[]; npmCache: boolean };
  cost: {
    perHourEur: number | null;
    /** Wall time of the sweep: the longest pair's. */
    sweepHours: number;
    bootstrapHours: number;
    runEur: number | null;
    pricesAsOf: string | null;
  };
  /** Cells recorded as skipped without being measured (they need KVM the SUTs do not have). */
  skippedCells: number;
  warnings: string[];
  /** What the preview tells besides (the hosts' OS, where a plugin's packages come from). */
  notes: string[];
}

/** Time the Pulumi lab adds per cell on top of the engine's estimate (ssh, node start, artifact checks). */
export const CELL_OVERHEAD_S = 30;
/** Bootstrap, k6 build, npm ci and artifact builds on fresh servers, roughly. */
export const BOOTSTRAP_ESTIMATE_S = 30 * 60;

/** The per-cell `timeout`: generous, so only a hung cell hits it. */
export function cellTimeoutSeconds(cell: Cell): number {
  return Math.ceil(estimateCellSeconds(cell, declaredStartCostS(cell.spec.platform)) * 3 + 600);
}

function bundleFiles(dir: string | null): Set<string> {
  if (dir === null) return new Set();
  return new Set(readdirSync(dir).filter((name) => statSync(resolve(dir, name)).isFile()));
}

/**
 * The npm registry of the machine running Pulumi (`npm config get registry`), never a host
 * written into the lab: a lab behind a company mirror fetches from that mirror.
 */
let registryFound: string | undefined;

export function npmRegistry(): string {
  registryFound ??= askNpmRegistry();
  return registryFound;
}

function askNpmRegistry(): string {
  let registry = "";
  try {
    registry = execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8", timeout: 30_000 }).trim();
  } catch (error) {
    throw new ConfigError("npm registry", [`npm config get registry failed: ${(error as Error).message}`]);
  }
  if (!/^https?:\/\/\S+$/.test(registry)) {
    throw new ConfigError("npm registry", [`npm config get registry printed ${JSON.stringify(registry)}, not a URL`]);
  }
  return registry.endsWith("/") ? registry : `${registry}/`;
}

/** The files (by revision key) a stack's hosts download: what the lock must cover before anything is created. */
export function usedDownloads(config: LabConfig, revision: Revision): string[] {
  const base = revision.profiles[config.profile];
  if (!base || !config.bootstrap) return [];
  return ["go", "goBuild", ...pluginDownloadKeys(profileInstalls(base))];
}

/** The apt packages a role installs for the profile's platforms. */
export function aptPackagesFor(
  packages: Readonly<Record<string, AptPackage>>,
  role: "sut" | "loadgen",
  platforms: readonly string[],
): string[] {
  return Object.entries(packages)
    .filter(([, p]) => (role === "loadgen" ? p.for.includes("loadgen") : p.for.some((f) => platforms.includes(f))))
    .map(([name]) => name);
}

const hours = (seconds: number) => Math.round((seconds / 3600) * 100) / 100;
const key = (k: string) => `${NAMESPACE}:${k}`;

/** The profile as this stack runs it, its cells and what its platforms need of a host. */
function profilePlan(config: LabConfig, revision: Revision) {
  const base = profileOf(
    revision,
    config.profile,
    (problem) => new ConfigError(`stack ${config.stack}`, [`${key("profile")}: ${problem}`]),
  );
  const downloads = revision.downloads;
  if (!downloads) {
    throw new ConfigError(`stack ${config.stack}`, [
      `revision ${revision.id} has no downloads section: the Pulumi lab installs its hosts from it (see revisions/paper-2025.yaml)`,
    ]);
  }
  const profile: Profile = { ...base, allowEmulation: base.allowEmulation || config.allowEmulation };
  const runRevision: Revision = { ...revision, profiles: { ...revision.profiles, [config.profile]: profile } };
  const cells = expandMatrix(profile, revision.id);
  const kvmCells = cells.filter((c) => needsKvm(c.spec.platform)).length;
  return {
    profile,
    runRevision,
    downloads,
    cells,
    kvmCells,
    docker: profile.platforms.some((name) => getPlatform(name).host?.dockerEngine),
    minCores: Math.max(...profile.resources.map((r) => r.cpus)),
    installs: profileInstalls(profile),
  };
}

function needsKvm(platform: string): boolean {
  return getPlatform(platform).class.isolation === "vm";
}

/** Which bundle files each role takes, and whether k6 comes prebuilt from there. */
function bundlePlan(config: LabConfig, revision: Revision, downloads: Downloads, installs: readonly PluginInstall[]) {
  const problems: string[] = [];
  const dir = config.bundleDir ? resolve(repoRoot, config.bundleDir) : null;
  if (dir && !(existsSync(dir) && statSync(dir).isDirectory())) {
    problems.push(`${key("bundleDir")} = "${config.bundleDir}" is not a directory (resolved to ${dir})`);
  }
  const inBundle = bundleFiles(problems.length === 0 ? dir : null);
  const k6Binary = downloads.k6Binary;
  const k6FromBundle = k6Binary !== undefined && inBundle.has(k6Binary.file) && k6Binary.sha256 !== null;
  if (k6Binary && inBundle.has(k6Binary.file) && k6Binary.sha256 === null) {
    problems.push(
      `the bundle holds ${k6Binary.file} but revision ${revision.id} pins no sha256 for it (downloads.k6Binary.sha256): run npx tsx infra/pin.ts --revision ${revision.id} --bundle ${config.bundleDir}`,
    );
  }
  const want = (names: (string | undefined)[]) => names.filter((n): n is string => !!n && inBundle.has(n));
  const pluginFiles = (role: "sut" | "loadgen") =>
    pluginDownloadKeys(installs.filter((p) => p.role === role)).map((k) => downloadOf(downloads, k)?.file);
  const nodeFile = `${revision.nodeBinary.npmPackage}-${revision.versions.node}.tgz`;
  return {
    problems,
    k6FromBundle,
    bundle: {
      dir,
      sut: want([downloads.go.file, nodeFile, `npm-${downloads.npm.version}.tgz`, ...pluginFiles("sut")]),
      loadgen: want([k6FromBundle ? k6Binary?.file : downloads.goBuild.file, ...pluginFiles("loadgen")]),
      npmCache: dir !== null && existsSync(resolve(dir, "npm-cache")),
    },
  };
}

/** Every file a host fetches has a sha256 by now: the revision's own, or the lock's (infra/lock.ts). */
function unlockedProblems(config: LabConfig, revision: Revision, downloads: Downloads, k6FromBundle: boolean) {
  const used = usedDownloads(config, revision).filter((n) => n !== "goBuild" || !k6FromBundle);
  const unlocked = used.filter((name) => downloadOf(downloads, name)?.sha256 === null).map((n) => `downloads.${n}`);
  if (unlocked.length === 0) return [];
  const them = unlocked.length === 1 ? "it" : "them";
  return [
    `revision ${revision.id}: ${unlocked.join(", ")} ${unlocked.length === 1 ? "is" : "are"} in neither the revision nor its lock file: the program locks ${them} on first use (that needs the vendor's server or the file in ${key("bundleDir")}); ahead of time: \`npx tsx infra/pin.ts --revision ${revision.id}\``,
  ];
}

/** A SUT given by host name needs its IPv4 on the lab link: the instances publish their ports there. */
function labAddressProblems(config: LabConfig): string[] {
  const sut = providerOf(config.target).pairHosts(config, 1).sut;
  if (sut.kind !== "provided" || sut.labAddress === null || /^(\d{1,3}\.){3}\d{1,3}$/.test(sut.labAddress)) return [];
  return [
    `${key("sut")}.privateAddress is needed: the instances publish their ports on the SUT's IPv4 address on the lab link, and sut.address "${sut.labAddress}" is a host name`,
  ];
}

/** What the plugins' apt packages come from (e.g. runsc from gVisor's own repository), for the preview. */
function aptSourceNotes(downloads: Downloads, platforms: readonly string[]): string[] {
  const { packages, repositories } = downloads.apt;
  return Object.entries(packages)
    .filter(([, p]) => p.from !== undefined && p.for.some((f) => platforms.includes(f)))
    .flatMap(([name, p]) => {
      const repo = repositories[p.from as string];
      if (!repo || ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin"].includes(name)) return [];
      return [
        `${name} (${p.for.filter((f) => platforms.includes(f)).join(", ")}) comes from the ${p.from} apt repository ${repo.url} ${repo.suite}, its key held to fingerprint ${repo.key.fingerprint}`,
      ];
    });
}

/**
 * The pairs: the cells sharded over them, each pair's hours and cost. A cell the SUT cannot run
 * (it needs KVM the provider does not have) is recorded as skipped in about the per-cell
 * overhead, so it counts as that, not as a measurement.
 */
function pairPlans(config: LabConfig, cells: readonly Cell[], providerPlan: ProviderPlan, allowEmulation: boolean) {
  const provider = providerOf(config.target);
  const skipped = (c: Cell) => !providerPlan.kvm && !allowEmulation && needsKvm(c.spec.platform);
  const cellSeconds = (c: Cell) =>
    skipped(c) ? CELL_OVERHEAD_S : estimateCellSeconds(c, declaredStartCostS(c.spec.platform)) + CELL_OVERHEAD_S;
  const shards = shardCells([...cells], config.pairs, cellSeconds);
  // Where the SUTs have no KVM, Nanos cells are recorded as skipped: calibrate on a cell that runs.
  const calibration = calibrationCell([...cells], config.pairs, (c) => providerPlan.kvm || !needsKvm(c.spec.platform));
  const bootstrapHours = hours(BOOTSTRAP_ESTIMATE_S);
  const pairs: PairPlan[] = shards.map((shard) => {
    const extra = calibration && !shard.cells.some((c) => c.id === calibration.id) ? calibration : null;
    const seconds = shard.estimatedSeconds + (extra ? cellSeconds(extra) : 0);
    return {
      index: shard.pair,
      hosts: provider.pairHosts(config, shard.pair),
      cells: shard.cells,
      calibration: extra,
      sweepHours: hours(seconds),
      runEur: runCostEur(providerPlan.pairEurPerHour, hours(seconds) + bootstrapHours),
    };
  });
  const empty = pairs.filter((p) => p.cells.length === 0);
  const warnings =
    empty.length === 0
      ? []
      : [
          `${key("pairs")} = ${config.pairs} but the profile has ${new Set(shards.flatMap((s) => s.scenarios)).size} scenarios: pair ${empty.map((p) => p.index).join(", ")} would only calibrate; lower ${key("pairs")}`,
        ];
  return { pairs, calibration, warnings, bootstrapHours, skippedCells: cells.filter(skipped).length };
}

/** The cost of the whole run: the longest pair's hours, every pair's servers. */
function costPlan(pairs: readonly PairPlan[], providerPlan: ProviderPlan, bootstrapHours: number): LabPlan["cost"] {
  const perPair = providerPlan.pairEurPerHour;
  return {
    perHourEur: perPair === null ? null : Math.round(perPair * pairs.length * 10000) / 10000,
    sweepHours: Math.max(...pairs.map((p) => p.sweepHours)),
    bootstrapHours,
    runEur: pairs.some((p) => p.runEur === null)
      ? null
      : Math.round(pairs.reduce((sum, p) => sum + (p.runEur ?? 0), 0) * 100) / 100,
    pricesAsOf: providerPlan.pricesAsOf,
  };
}

/** The run id: the stack's own, or one that changes with the pinned versions and the effective profile. */
function runIdOf(config: LabConfig, revision: Revision, profile: Profile): string {
  const fingerprint = sha256(
    canonicalJson({ versions: revision.versions, nodeBinary: revision.nodeBinary, images: revision.images, profile }),
  ).slice(0, 8);
  return config.runId ?? `${config.stack}-${revision.id}-${config.profile}-${fingerprint}`;
}

/**
 * Check and plan. Throws a ConfigError naming every problem (a profile the revision lacks, a file
 * not locked yet, a server too small for the profile, a missing bundle folder, a generator the
 * load generator cannot run).
 */
export function planLab(config: LabConfig, revision: Revision): LabPlan {
  const provider = providerOf(config.target);
  const pp = profilePlan(config, revision);
  const { profile, downloads, cells } = pp;
  const bundle = bundlePlan(config, revision, downloads, pp.installs);
  const providerPlan = provider.plan({
    config,
    minCores: pp.minCores,
    kvmCells: pp.kvmCells,
    allowEmulation: profile.allowEmulation,
  });
  const generator = pulumiGenerator(profile);
  const separateLoadgen = provider.pairHosts(config, 1).loadgen !== null;
  const problems = [
    ...bundle.problems,
    ...downloadProblems(revision, pp.installs),
    // Remote hosts run Ubuntu 24.04: a package it lacks must come from its vendor's repository.
    ...(provider.remote ? vendorPackageProblems(config.profile, revision, pp.installs) : []),
    ...unlockedProblems(config, revision, downloads, bundle.k6FromBundle),
    ...providerPlan.problems,
    ...(separateLoadgen ? generatorProblems(config.profile, revision, generator) : []),
    ...labAddressProblems(config),
  ];
  if (problems.length > 0) throw new ConfigError(`stack ${config.stack}`, problems);
  const ceiling = generatorCeilingWarning(generator, providerPlan.loadgenCores, profile, loadPaperReference());
  const shards = pairPlans(config, cells, providerPlan, profile.allowEmulation);
  return {
    config,
    revision,
    downloads,
    profileName: config.profile,
    profile,
    runRevision: pp.runRevision,
    cells,
    runId: runIdOf(config, revision, profile),
    resultsRoot: resultsRoot(config.stack),
    labDir: provider.remote ? REMOTE_LAB_DIR : repoRoot,
    npmRegistry: npmRegistry(),
    pairs: shards.pairs,
    hosts: (shards.pairs[0] as PairPlan).hosts,
    calibration: shards.calibration,
    generator,
    // On SUTs without KVM at all (the provider says so) the nanos cells are recorded as skipped instead.
    needs: {
      docker: pp.docker,
      requireKvm: pp.kvmCells > 0 && !profile.allowEmulation && providerPlan.kvm,
      minCores: pp.minCores,
      k6FromBundle: bundle.k6FromBundle,
    },
    plugins: pluginSetups(pp.installs, revision, downloads),
    aptPackages: {
      sut: aptPackagesFor(downloads.apt.packages, "sut", profile.platforms),
      loadgen: aptPackagesFor(downloads.apt.packages, "loadgen", profile.platforms),
    },
    bundle: bundle.bundle,
    cost: costPlan(shards.pairs, providerPlan, shards.bootstrapHours),
    skippedCells: shards.skippedCells,
    warnings: [...providerPlan.warnings, ...(ceiling ? [ceiling] : []), ...shards.warnings],
    notes: [...providerPlan.notes, ...aptSourceNotes(downloads, profile.platforms)],
  };
}

/**
 * The plan's time and cost of a run, without the checks of what the hosts will download: what
 * `pulumi preview` prints per pair, for a stack that does not exist yet (infra/estimate.ts, the
 * table in docs/pulumi-lab.md).
 */
export function estimateRun(
  config: LabConfig,
  revision: Revision,
): { cost: LabPlan["cost"]; pairs: readonly PairPlan[]; cells: number; skippedCells: number } {
  const pp = profilePlan(config, revision);
  const providerPlan = providerOf(config.target).plan({
    config,
    minCores: pp.minCores,
    kvmCells: pp.kvmCells,
    allowEmulation: pp.profile.allowEmulation,
  });
  const shards = pairPlans(config, pp.cells, providerPlan, pp.profile.allowEmulation);
  return {
    cost: costPlan(shards.pairs, providerPlan, shards.bootstrapHours),
    pairs: shards.pairs,
    cells: pp.cells.length,
    skippedCells: shards.skippedCells,
  };
}

/** One line per pair for the preview: cells, hours and cost. */
export function pairSummary(plan: LabPlan): string[] {
  return plan.pairs.map(
    (p) =>
      `pair ${p.index}: ${p.cells.length} cells${p.calibration ? " + 1 calibration" : ""}, ${p.sweepHours} h of sweep + ${plan.cost.bootstrapHours} h bootstrap, ${p.runEur === null ? "cost unknown" : `≈ €${p.runEur.toFixed(2)}`}`,
  );
}
