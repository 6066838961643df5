/**
 * Everything the Pulumi lab decides before it creates a resource, as one pure function of the stack
 * config and the revision: the effective profile and its cells (the engine's own expandMatrix), the
 * run id, what each host needs, which files come from the bundle, the cost estimate and the early
 * errors for combinations that cannot work. The components in infra/ only turn this into resources.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "../lab/config/errors";
import type { Profile } from "../lab/config/profile";
import type { Download, Downloads, Revision } from "../lab/config/revision";
import { type Cell, canonicalJson, expandMatrix } from "../lab/matrix";
import { repoRoot } from "../lab/paths";
import { estimateCellSeconds } from "../lab/runner/report";
import { sha256 } from "./bootstrap/shell";
import type { HostRoles } from "./bootstrap/types";
import { type HostConfig, type LabConfig, NAMESPACE, NETWORK } from "./config";
import { REMOTE_LAB_DIR, resultsRoot } from "./layout";
import { hourlyCostEur, runCostEur, SERVER_TYPES } from "./pricing";

/** One host of the lab as the scripts see it. */
export interface HostPlan {
  label: "sut" | "loadgen" | "local";
  roles: HostRoles;
  /** Made by the stack (hcloud) or given by the user (static, bare metal) or this machine. */
  kind: "hcloud" | "provided" | "local";
  user: string;
  port: number;
  /** The address Pulumi connects to, when known now (provided hosts); hcloud: the server's IPv4. */
  address: string | null;
  /**
   * The address the other host reaches this one on (private network, vSwitch, LAN), when known
   * now; null means the public IPv4 of a server the stack creates.
   */
  labAddress: string | null;
}

export interface LabPlan {
  config: LabConfig;
  revision: Revision;
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
  hosts: { sut: HostPlan; loadgen: HostPlan | null };
  needs: { docker: boolean; nanos: boolean; requireKvm: boolean; minCores: number; k6FromBundle: boolean };
  /** Bundle files to upload, per host role (names in the bundle directory). */
  bundle: { dir: string | null; sut: string[]; loadgen: string[]; npmCache: boolean };
  cost: { perHourEur: number | null; sweepHours: number; bootstrapHours: number; runEur: number | null };
  warnings: string[];
}

/** Time the Pulumi lab adds per cell on top of the engine's estimate (ssh, node start, artifact checks). */
export const CELL_OVERHEAD_S = 30;
/** Bootstrap, k6 build, npm ci and artifact builds on fresh servers, roughly. */
export const BOOTSTRAP_ESTIMATE_S = 30 * 60;

/** The per-cell `timeout`: generous, so only a hung cell hits it. */
export function cellTimeoutSeconds(cell: Cell): number {
  return Math.ceil(estimateCellSeconds(cell) * 3 + 600);
}

function providedHost(label: "sut" | "loadgen", h: HostConfig, roles: HostRoles): HostPlan {
  return {
    label,
    roles,
    kind: "provided",
    user: h.user,
    port: h.port,
    address: h.address,
    labAddress: h.privateAddress ?? h.address,
  };
}

function hostsOf(c: LabConfig): { sut: HostPlan; loadgen: HostPlan | null } {
  const sutRoles = { sut: true, loadgen: false };
  const lgRoles = { sut: false, loadgen: true };
  const hcloud = (label: "sut" | "loadgen", labAddress: string | null): HostPlan => ({
    label,
    roles: label === "sut" ? sutRoles : lgRoles,
    kind: "hcloud",
    user: "root",
    port: 22,
    address: null,
    labAddress,
  });
  switch (c.target) {
    case "hcloud":
      return { sut: hcloud("sut", NETWORK.sutIp), loadgen: hcloud("loadgen", NETWORK.loadgenIp) };
    case "hcloud-baremetal":
      return {
        sut: providedHost("sut", c.sut as HostConfig, sutRoles),
        loadgen: hcloud("loadgen", c.vswitchId !== undefined ? NETWORK.loadgenIp : null),
      };
    case "static":
      return {
        sut: providedHost("sut", c.sut as HostConfig, sutRoles),
        loadgen: providedHost("loadgen", c.loadgen as HostConfig, lgRoles),
      };
    case "local":
      return {
        sut: {
          label: "local",
          roles: { sut: true, loadgen: true },
          kind: "local",
          user: "",
          port: 0,
          address: null,
          labAddress: "127.0.0.1",
        },
        loadgen: null,
      };
  }
}

function bundleFiles(dir: string | null): Set<string> {
  if (dir === null) return new Set();
  return new Set(readdirSync(dir).filter((name) => statSync(resolve(dir, name)).isFile()));
}

/**
 * Check and plan. Throws a ConfigError naming every problem (a profile the revision lacks, an
 * unpinned download, a server too small for the profile, a missing bundle folder).
 */
export function planLab(config: LabConfig, revision: Revision): LabPlan {
  const problems: string[] = [];
  const warnings: string[] = [];
  const key = (k: string) => `${NAMESPACE}:${k}`;
  const base = revision.profiles[config.profile];
  if (!base) {
    throw new ConfigError(`stack ${config.stack}`, [
      `${key("profile")} = "${config.profile}" is not a profile of revision ${revision.id}: use one of ${Object.keys(revision.profiles).join(", ")}`,
    ]);
  }
  const downloads = revision.downloads;
  if (!downloads) {
    throw new ConfigError(`stack ${config.stack}`, [
      `revision ${revision.id} has no downloads section: the Pulumi lab installs its hosts from it (see revisions/paper-2025.yaml)`,
    ]);
  }
  const profile: Profile = { ...base, allowEmulation: base.allowEmulation || config.allowEmulation };
  const runRevision: Revision = { ...revision, profiles: { ...revision.profiles, [config.profile]: profile } };
  const cells = expandMatrix(profile, revision.id);
  const docker = profile.platforms.includes("docker");
  const nanos = profile.platforms.includes("nanos");
  const minCores = Math.max(...profile.resources.map((r) => r.cpus));
  const hosts = hostsOf(config);
  const install = config.bootstrap;

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

  // Every download a host will fetch must be pinned before anything is created.
  const used: [string, Download][] = [];
  if (install) {
    used.push(["go", downloads.go]);
    if (docker) used.push(["docker", downloads.docker]);
    if (nanos)
      used.push(["ops", downloads.ops], ["nanosKernel", downloads.nanosKernel], ["nanosCommon", downloads.nanosCommon]);
    if (!k6FromBundle) used.push(["goBuild", downloads.goBuild]);
  }
  const unpinned = used.filter(([, d]) => d.sha256 === null).map(([name]) => `downloads.${name}`);
  if (unpinned.length > 0) {
    problems.push(
      `revision ${revision.id} does not pin ${unpinned.join(", ")} (sha256: null): run \`npx tsx infra/pin.ts --revision ${revision.id}\` on a machine with internet access; it checks each file against the vendor's checksum where one is published and writes the sha256`,
    );
  }

  if (config.target === "hcloud") {
    const sutType = SERVER_TYPES[config.sutServerType];
    if (sutType && sutType.cores < minCores) {
      const bigEnough = Object.entries(SERVER_TYPES)
        .filter(([name, t]) => name.startsWith("ccx") && t.cores >= minCores)
        .map(([name]) => name);
      problems.push(
        `${key("sutServerType")} = "${config.sutServerType}" has ${sutType.cores} CPUs; profile ${config.profile} runs scenarios with ${minCores}: use ${bigEnough.slice(0, 2).join(" or ")}, or a profile with fewer CPUs`,
      );
    }
    if (sutType && !sutType.dedicated) {
      warnings.push(
        `${key("sutServerType")} = "${config.sutServerType}" has shared vCPUs: neighbours add noise to every measurement (ccx types are dedicated)`,
      );
    }
  }
  const hetznerCloudSut = config.target === "hcloud";
  if (hetznerCloudSut && nanos && !profile.allowEmulation) {
    warnings.push(
      `Hetzner Cloud servers have no KVM: the ${cells.filter((c) => c.spec.platform === "nanos").length} nanos cells will be recorded as skipped; use target hcloud-baremetal for them, or set ${key("allowEmulation")} true (TCG, results marked emulated)`,
    );
  }
  if (config.target === "hcloud-baremetal" && config.vswitchId === undefined) {
    warnings.push(
      `no ${key("vswitchId")}: the load generator reaches your SUT on its public address ${config.sut?.address}, and the instances listen there during the cells; join both with a vSwitch (or firewall the SUT) to keep them private`,
    );
  }
  const sutLab = hosts.sut.labAddress;
  if (hosts.sut.kind === "provided" && sutLab !== null && !/^(\d{1,3}\.){3}\d{1,3}$/.test(sutLab)) {
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
    ...(docker ? [downloads.docker.file] : []),
    ...(nanos ? [downloads.ops.file, downloads.nanosKernel.file, downloads.nanosCommon.file] : []),
  ]);
  const loadgenFiles = wantFiles(k6FromBundle ? [downloads.k6Binary?.file] : [downloads.goBuild.file]);
  const npmCache = bundleDir !== null && existsSync(resolve(bundleDir, "npm-cache"));

  const sweepSeconds = cells.reduce((sum, c) => sum + estimateCellSeconds(c) + CELL_OVERHEAD_S, 0);
  const serverTypes =
    config.target === "hcloud"
      ? [config.sutServerType, config.loadgenServerType]
      : config.target === "hcloud-baremetal"
        ? [config.loadgenServerType]
        : [];
  const perHourEur = config.target === "static" || config.target === "local" ? 0 : hourlyCostEur(serverTypes);
  const sweepHours = Math.round((sweepSeconds / 3600) * 100) / 100;
  const bootstrapHours = Math.round((BOOTSTRAP_ESTIMATE_S / 3600) * 100) / 100;

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
    labDir: config.target === "local" ? repoRoot : REMOTE_LAB_DIR,
    hosts,
    // Hetzner Cloud has no KVM at all: there the nanos cells are recorded as skipped instead.
    needs: { docker, nanos, requireKvm: nanos && !profile.allowEmulation && !hetznerCloudSut, minCores, k6FromBundle },
    bundle: { dir: bundleDir, sut: sutFiles, loadgen: loadgenFiles, npmCache },
    cost: { perHourEur, sweepHours, bootstrapHours, runEur: runCostEur(perHourEur, sweepHours + bootstrapHours) },
    warnings,
  };
}
