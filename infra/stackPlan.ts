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
import type { AptPackage, Download, Downloads, Revision } from "../core/config/revision";
import { estimateCellSeconds } from "../core/eta";
import { type Cell, canonicalJson } from "../core/matrix";
import { loadPaperReference } from "../core/paper/reference";
import { repoRoot } from "../core/paths";
import { expandMatrix } from "../lab/matrix";
import { declaredStartCostS, getPlatform } from "../lab/platforms/registry";
import { sha256 } from "./bootstrap/shell";
import { type LabConfig, NAMESPACE } from "./config";
import { generatorCeilingWarning } from "./generatorCeiling";
import { REMOTE_LAB_DIR, resultsRoot } from "./layout";
import type { Lockable } from "./lock";
import { runCostEur } from "./pricing";
import { providerOf } from "./providers";
import type { PairHosts } from "./providers/types";
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
  /** From the platforms' declared host needs: the Docker engine, ops (a download a platform names), KVM (VM platforms). */
  needs: { docker: boolean; ops: boolean; requireKvm: boolean; minCores: number; k6FromBundle: boolean };
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
  warnings: string[];
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
export function usedDownloads(config: LabConfig, revision: Revision): Lockable[] {
  const base = revision.profiles[config.profile];
  if (!base || !config.bootstrap || !providerOf(config.target).remote) return [];
  const used: Lockable[] = ["go", "goBuild"];
  for (const platform of base.platforms.map(getPlatform)) {
    for (const name of platform.host?.downloads ?? [])
      if (!used.includes(name as Lockable)) used.push(name as Lockable);
  }
  return used;
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

/**
 * Check and plan. Throws a ConfigError naming every problem (a profile the revision lacks, a file
 * not locked yet, a server too small for the profile, a missing bundle folder).
 */
export function planLab(config: LabConfig, revision: Revision): LabPlan {
  const problems: string[] = [];
  const warnings: string[] = [];
  const key = (k: string) => `${NAMESPACE}:${k}`;
  const provider = providerOf(config.target);
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
  const platforms = profile.platforms.map(getPlatform);
  const docker = platforms.some((p) => p.host?.dockerEngine);
  const ops = platforms.some((p) => p.host?.downloads?.includes("ops"));
  const needsKvm = (platform: string) => getPlatform(platform).class.isolation === "vm";
  const minCores = Math.max(...profile.resources.map((r) => r.cpus));
  const kvmCells = cells.filter((c) => needsKvm(c.spec.platform)).length;

  const bundleDir = config.bundleDir ? resolve(repoRoot, config.bundleDir) : null;
  if (bundleDir && !(existsSync(bundleDir) && statSync(bundleDir).isDirectory())) {
    problems.push(`${key("bundleDir")} = "${config.bundleDir}" is not a directory (resolved to ${bundleDir})`);
  }
  const inBundle = bundleFiles(problems.length === 0 ? bundleDir : null);
  const k6FromBundle =
    downloads.k6Binary !== undefined && inBundle.has(downloads.k6Binary.file) && downloads.k6Binary.sha256 !== null;
  if (downloads.k6Binary && inBundle.has(downloads.k6Binary.file) && downloads.k6Binary.sha256 === null) {
    problems.push(
      `the bundle holds ${downloads.k6Binary.file} but revision ${revision.id} pins no sha256 for it (downloads.k6Binary.sha256): run npx tsx infra/pin.ts --revision ${revision.id} --bundle ${config.bundleDir}`,
    );
  }

  // Every file a host fetches has a sha256 by now: the revision's own, or the lock's (infra/lock.ts).
  const used = usedDownloads(config, revision).filter((n) => n !== "goBuild" || !k6FromBundle);
  const unlocked = used.filter((name) => (downloads[name] as Download).sha256 === null).map((n) => `downloads.${n}`);
  if (unlocked.length > 0) {
    problems.push(
      `revision ${revision.id}: ${unlocked.join(", ")} ${unlocked.length === 1 ? "is" : "are"} in neither the revision nor its lock file: the program locks ${unlocked.length === 1 ? "it" : "them"} on first use (that needs the vendor's server or the file in ${key("bundleDir")}); ahead of time: \`npx tsx infra/pin.ts --revision ${revision.id}\``,
    );
  }

  const providerPlan = provider.plan({ config, minCores, kvmCells, allowEmulation: profile.allowEmulation });
  problems.push(...providerPlan.problems);
  warnings.push(...providerPlan.warnings);
  // The Pulumi lab's generator: the profile's, k6 where it says auto (what the load generator's bootstrap builds).
  const generator = profile.generator === undefined || profile.generator === "auto" ? "k6" : profile.generator;
  const ceilingWarning = generatorCeilingWarning(generator, providerPlan.loadgenCores, profile, loadPaperReference());
  if (ceilingWarning) warnings.push(ceilingWarning);

  const firstPair = provider.pairHosts(config, 1);
  const sutLab = firstPair.sut.labAddress;
  if (firstPair.sut.kind === "provided" && sutLab !== null && !/^(\d{1,3}\.){3}\d{1,3}$/.test(sutLab)) {
    problems.push(
      `${key("sut")}.privateAddress is needed: the instances publish their ports on the SUT's IPv4 address on the lab link, and sut.address "${sutLab}" is a host name`,
    );
  }
  if (problems.length > 0) throw new ConfigError(`stack ${config.stack}`, problems);

  const fingerprint = sha256(
    canonicalJson({ versions: revision.versions, nodeBinary: revision.nodeBinary, images: revision.images, profile }),
  ).slice(0, 8);
  const runId = config.runId ?? `${config.stack}-${revision.id}-${config.profile}-${fingerprint}`;

  const wantFiles = (names: (string | undefined)[]) => names.filter((n): n is string => !!n && inBundle.has(n));
  const nodeFile = `${revision.nodeBinary.npmPackage}-${revision.versions.node}.tgz`;
  const sutFiles = wantFiles([
    downloads.go.file,
    nodeFile,
    `npm-${downloads.npm.version}.tgz`,
    ...(ops ? [downloads.ops.file, downloads.nanosKernel.file, downloads.nanosCommon.file] : []),
  ]);
  const loadgenFiles = wantFiles(k6FromBundle ? [downloads.k6Binary?.file] : [downloads.goBuild.file]);
  const npmCache = bundleDir !== null && existsSync(resolve(bundleDir, "npm-cache"));

  // Where the SUTs have no KVM, Nanos cells are recorded as skipped: calibrate on a cell that runs.
  const noKvm = !providerPlan.kvm;
  const cellSeconds = (c: Cell) => estimateCellSeconds(c, declaredStartCostS(c.spec.platform)) + CELL_OVERHEAD_S;
  const shards = shardCells(cells, config.pairs, cellSeconds);
  const calibration = calibrationCell(cells, config.pairs, (c) => !noKvm || !needsKvm(c.spec.platform));
  const perPair = providerPlan.pairEurPerHour;
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
      runEur: runCostEur(perPair, hours(seconds) + bootstrapHours),
    };
  });
  const empty = pairs.filter((p) => p.cells.length === 0);
  if (empty.length > 0) {
    warnings.push(
      `${key("pairs")} = ${config.pairs} but the profile has ${new Set(shards.flatMap((s) => s.scenarios)).size} scenarios: pair ${empty.map((p) => p.index).join(", ")} would only calibrate; lower ${key("pairs")}`,
    );
  }
  const sweepHours = Math.max(...pairs.map((p) => p.sweepHours));
  const perHourEur = perPair === null ? null : Math.round(perPair * pairs.length * 10000) / 10000;
  const runEur = pairs.some((p) => p.runEur === null)
    ? null
    : Math.round(pairs.reduce((sum, p) => sum + (p.runEur ?? 0), 0) * 100) / 100;
  const first = pairs[0] as PairPlan;

  return {
    config,
    revision,
    downloads,
    profileName: config.profile,
    profile,
    runRevision,
    cells,
    runId,
    resultsRoot: resultsRoot(config.stack),
    labDir: provider.remote ? REMOTE_LAB_DIR : repoRoot,
    npmRegistry: npmRegistry(),
    pairs,
    hosts: first.hosts,
    calibration,
    // On SUTs without KVM at all (the provider says so) the nanos cells are recorded as skipped instead.
    needs: { docker, ops, requireKvm: kvmCells > 0 && !profile.allowEmulation && !noKvm, minCores, k6FromBundle },
    aptPackages: {
      sut: aptPackagesFor(downloads.apt.packages, "sut", profile.platforms),
      loadgen: aptPackagesFor(downloads.apt.packages, "loadgen", profile.platforms),
    },
    bundle: { dir: bundleDir, sut: sutFiles, loadgen: loadgenFiles, npmCache },
    cost: { perHourEur, sweepHours, bootstrapHours, runEur, pricesAsOf: providerPlan.pricesAsOf },
    warnings,
  };
}

/** One line per pair for the preview: cells, hours and cost. */
export function pairSummary(plan: LabPlan): string[] {
  return plan.pairs.map(
    (p) =>
      `pair ${p.index}: ${p.cells.length} cells${p.calibration ? " + 1 calibration" : ""}, ${p.sweepHours} h of sweep + ${plan.cost.bootstrapHours} h bootstrap, ${p.runEur === null ? "cost unknown" : `≈ €${p.runEur.toFixed(2)}`}`,
  );
}
