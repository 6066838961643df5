/**
 * The Pulumi program: the lab on Scaleway bare metal, on Hetzner Cloud, beside your own bare-metal
 * server, on two machines you have, or on this machine (`edge-lab:target`), with one or more host
 * pairs (`edge-lab:pairs`). It locks the revision's unpinned downloads on first use, provisions
 * the hosts, bootstraps them with the revision's pinned versions, builds the artifacts on each SUT,
 * runs each pair's cells one after another with the engine's own runner, and pulls the results
 * back into results/<stack>/<runId>/. See docs/pulumi-lab.md.
 */
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { revisionPath } from "./core/config/revision";
import { repoRoot } from "./core/paths";
import { lockDownloads, programDownloadSettings } from "./infra/lock";
import { EdgeLab } from "./infra/pipeline";
import { resolveHostAddresses } from "./infra/providers/addresses";
import { readStackConfig } from "./infra/stackConfig";
import { pairSummary, planLab, usedDownloads } from "./infra/stackPlan";
import { artifactPlan } from "./infra/sutArtifactPlan";
import { manualPullCommand } from "./infra/sweepScripts";
import { loadRevision } from "./lab/config/revision";

/** A revision id or a path (relative to the project) as a file. */
function revisionFileOf(idOrPath: string): string {
  return idOrPath.endsWith(".yaml") || idOrPath.includes("/") ? resolve(repoRoot, idOrPath) : revisionPath(idOrPath);
}

async function main(): Promise<Record<string, unknown>> {
  const settings = readStackConfig();
  const file = revisionFileOf(settings.config.revision);
  const pinned = loadRevision(file);
  // Nothing to pin by hand: files the revision names without a sha256 are locked on first use.
  const lock = await lockDownloads({
    revision: pinned,
    revisionFile: file,
    names: usedDownloads(settings.config, pinned),
    bundleDir: settings.config.bundleDir ? resolve(repoRoot, settings.config.bundleDir) : null,
    ...programDownloadSettings(),
    log: (line) => pulumi.log.info(line),
  });
  const revision = pinned.downloads ? { ...pinned, downloads: lock.downloads } : pinned;
  // Host names the hosts are given by are resolved now: firewalls admit addresses, not names.
  const plan = await resolveHostAddresses(planLab(settings.config, revision));
  for (const warning of plan.warnings) pulumi.log.warn(warning);
  for (const line of pairSummary(plan)) pulumi.log.info(line);

  const lab = new EdgeLab("edgelab", {
    plan,
    ...(settings.privateKey ? { privateKey: settings.privateKey } : {}),
    credentials: settings.credentials,
  });
  const sut = lab.hosts.sut;
  const loadgen = lab.hosts.loadgen;
  const endpoint = (h: typeof sut) => ({ address: h.address, labAddress: h.labAddress, user: h.plan.user });
  return {
    target: plan.config.target,
    revisionId: revision.id,
    pinnedVersions: revision.versions,
    lockFile: lock.path,
    artifacts: artifactPlan(revision),
    profile: plan.profileName,
    runId: plan.runId,
    hosts: { sut: endpoint(sut), loadgen: loadgen ? endpoint(loadgen) : null },
    /** Every pair: its hosts, its cells, its hours and its cost. */
    pairs: lab.pairs.map((p) => ({
      pair: p.pair.index,
      sut: endpoint(p.sut),
      loadgen: p.loadgen ? endpoint(p.loadgen) : null,
      cells: p.pair.cells.length,
      calibrationCell: p.pair.calibration?.id ?? plan.calibration?.id ?? null,
      estimatedSweepHours: p.pair.sweepHours,
      estimatedRunCostEur: p.pair.runEur,
    })),
    /** Log in to the (first) SUT (with the private key you configured; it is never printed). */
    sshCommand: sut.connection
      ? pulumi.interpolate`ssh -i <your private key> -p ${sut.plan.port} ${sut.plan.user}@${sut.address}`
      : "(local target: this machine)",
    /** Copy the (first pair's) results by hand, e.g. after an interrupted `pulumi up` (EDGELAB_KEY_FILE=<your private key file>). */
    pullCommand: sut.connection
      ? sut.address.apply((address) => manualPullCommand(plan, { user: sut.plan.user, address, port: sut.plan.port }))
      : "(local target: the results are written here directly)",
    resultsPath: lab.resultsPath,
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
