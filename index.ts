/**
 * The Pulumi program: the lab on Scaleway bare metal, on Hetzner Cloud, beside your own bare-metal
 * server, on two machines you have, or on this machine (`edge-lab:target`), with one or more host
 * pairs (`edge-lab:pairs`). It locks the revision's unpinned downloads on first use, provisions
 * the hosts, bootstraps them with the revision's pinned versions, builds the artifacts on each SUT,
 * runs each pair's cells one after another with the engine's own runner, pulls the results back
 * into results/<stack>/<runId>/ (checked against the SUT's checksum manifest) and makes the report
 * here: `pulumi up` ends with `reportPath`, `resultsPath` and `summary`. See docs/pulumi-lab.md.
 */
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type Revision, revisionPath } from "./core/config/revision";
import { repoRoot } from "./core/paths";
import type { LabHost } from "./infra/hostCommand";
import { type LockResult, lockDownloads, programDownloadSettings } from "./infra/lock";
import { EdgeLab } from "./infra/pipeline";
import { resolveHostAddresses } from "./infra/providers/addresses";
import { readStackConfig, type StackSettings } from "./infra/stackConfig";
import { type LabPlan, pairSummary, planLab, usedDownloads } from "./infra/stackPlan";
import { artifactPlan } from "./infra/sutArtifactPlan";
import { knownHostsFile, manualPullCommand } from "./infra/sweepScripts";
import { loadRevision } from "./lab/config/revision";

/** A revision id or a path (relative to the project) as a file. */
function revisionFileOf(idOrPath: string): string {
  return idOrPath.endsWith(".yaml") || idOrPath.includes("/") ? resolve(repoRoot, idOrPath) : revisionPath(idOrPath);
}

/** The revision with every file its hosts fetch locked: nothing to pin by hand (infra/lock.ts). */
async function lockedRevision(settings: StackSettings): Promise<{ revision: Revision; lock: LockResult }> {
  const file = revisionFileOf(settings.config.revision);
  const pinned = loadRevision(file);
  const lock = await lockDownloads({
    revision: pinned,
    revisionFile: file,
    names: usedDownloads(settings.config, pinned),
    bundleDir: settings.config.bundleDir ? resolve(repoRoot, settings.config.bundleDir) : null,
    ...programDownloadSettings(),
    log: (line) => pulumi.log.info(line),
  });
  return { revision: pinned.downloads ? { ...pinned, downloads: lock.downloads } : pinned, lock };
}

/** What the preview says: the plan's warnings, what it notes (the OS, where packages come from), each pair's cells and cost. */
function tellThePlan(plan: LabPlan): void {
  for (const warning of plan.warnings) pulumi.log.warn(warning);
  for (const note of plan.notes) pulumi.log.info(note);
  for (const line of pairSummary(plan)) pulumi.log.info(line);
}

/** How you log in to the (first) SUT yourself: with your own key, to exactly its pinned host key. */
function loginOutputs(plan: LabPlan, sut: LabHost) {
  if (!sut.connection) {
    return {
      sshCommand: "(local target: this machine)",
      pullCommand: "(local target: the results are written here directly)",
    };
  }
  if (sut.plan.kind === "cloud" && plan.config.sshPublicKey === undefined) {
    const why = "(the servers know only the stack's own key: set edge-lab:sshPublicKey to log in yourself)";
    return { sshCommand: why, pullCommand: why };
  }
  const endpoint = (address: string) => ({ user: sut.plan.user, address, port: sut.plan.port });
  return {
    /** Your key from your ssh-agent (or -i); the host key is the one the stack pinned. */
    sshCommand: pulumi.interpolate`ssh -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${knownHostsFile(plan)} -p ${sut.plan.port} ${sut.plan.user}@${sut.address}`,
    /** Copy the (first pair's) results by hand, e.g. after an interrupted `pulumi up` (EDGELAB_KEY_FILE=<your private key file>). */
    pullCommand: sut.address.apply((address) => manualPullCommand(plan, endpoint(address))),
  };
}

/** Every pair: its hosts, its cells, its hours and its cost. */
function pairOutputs(plan: LabPlan, lab: EdgeLab) {
  const endpoint = (h: LabHost) => ({ address: h.address, labAddress: h.labAddress, user: h.plan.user });
  return {
    hosts: { sut: endpoint(lab.hosts.sut), loadgen: lab.hosts.loadgen ? endpoint(lab.hosts.loadgen) : null },
    pairs: lab.pairs.map((p) => ({
      pair: p.pair.index,
      sut: endpoint(p.sut),
      loadgen: p.loadgen ? endpoint(p.loadgen) : null,
      cells: p.pair.cells.length,
      calibrationCell: p.pair.calibration?.id ?? plan.calibration?.id ?? null,
      estimatedSweepHours: p.pair.sweepHours,
      estimatedRunCostEur: p.pair.runEur,
    })),
  };
}

async function main(): Promise<Record<string, unknown>> {
  const settings = readStackConfig();
  const { revision, lock } = await lockedRevision(settings);
  // Host names the hosts are given by are resolved now: firewalls admit addresses, not names.
  const plan = await resolveHostAddresses(planLab(settings.config, revision));
  tellThePlan(plan);
  const lab = new EdgeLab("edgelab", {
    plan,
    ...(settings.operatorKey ? { operatorKey: settings.operatorKey } : {}),
    credentials: settings.credentials,
  });
  return {
    /** Where it all ends: the report made here, the results it was made from, and one line. */
    reportPath: lab.report.reportPath,
    resultsPath: lab.resultsPath,
    summary: lab.report.summary,
    target: plan.config.target,
    revisionId: revision.id,
    pinnedVersions: revision.versions,
    lockFile: lock.path,
    artifacts: artifactPlan(revision),
    profile: plan.profileName,
    runId: plan.runId,
    ...pairOutputs(plan, lab),
    ...loginOutputs(plan, lab.hosts.sut),
    cells: plan.cells.length,
    cellCounts: lab.counts,
    planned: lab.first.sweep.planned,
    preflight: { sut: lab.checks.sut.preflight, loadgen: lab.checks.loadgen?.preflight ?? null },
    hostFacts: { sut: lab.checks.sut.hostFacts, loadgen: lab.checks.loadgen?.hostFacts ?? null },
    artifactSizes: lab.first.artifacts.sizes,
    estimatedCostPerHourEur: plan.cost.perHourEur,
    estimatedRunHours: Math.round((plan.cost.sweepHours + plan.cost.bootstrapHours) * 100) / 100,
    estimatedRunCostEur: plan.cost.runEur,
    pricesAsOf: plan.cost.pricesAsOf,
  };
}

export = main;
