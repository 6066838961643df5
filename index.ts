/**
 * The Pulumi program: the lab on Hetzner Cloud, on bare metal beside a Hetzner load generator, on
 * two machines you have, or on this machine (`edge-lab:target`). It provisions the hosts,
 * bootstraps them with the revision's pinned versions, builds the artifacts on the SUT, runs every
 * cell of the profile one after another with the engine's own runner, and pulls the results back
 * into results/<stack>/<runId>/. See README.md ("The Pulumi lab").
 */
import * as pulumi from "@pulumi/pulumi";
import { artifactPlan } from "./infra/artifactPlan";
import { EdgeLab } from "./infra/lab";
import { planLab } from "./infra/labPlan";
import { PRICES_AS_OF } from "./infra/pricing";
import { readStackConfig } from "./infra/stackConfig";
import { loadRevision } from "./lab/config/revision";

const settings = readStackConfig();
const revision = loadRevision(settings.config.revision);
const plan = planLab(settings.config, revision);
for (const warning of plan.warnings) pulumi.log.warn(warning);

const lab = new EdgeLab("edgelab", {
  plan,
  ...(settings.privateKey ? { privateKey: settings.privateKey } : {}),
  ...(settings.hcloudToken ? { hcloudToken: settings.hcloudToken } : {}),
});

const sut = lab.hosts.sut;
const loadgen = lab.hosts.loadgen;

export const target = plan.config.target;
export const revisionId = revision.id;
export const pinnedVersions = revision.versions;
export const artifacts = artifactPlan(revision);
export const profile = plan.profileName;
export const runId = plan.runId;
export const hosts = {
  sut: { address: sut.address, labAddress: sut.labAddress, user: sut.plan.user },
  loadgen: loadgen ? { address: loadgen.address, labAddress: loadgen.labAddress, user: loadgen.plan.user } : null,
};
/** Log in to the SUT (with the private key you configured; it is never printed). */
export const sshCommand = sut.connection
  ? pulumi.interpolate`ssh -i <your private key> -p ${sut.plan.port} ${sut.plan.user}@${sut.address}`
  : "(local target: this machine)";
/** Copy the results by hand, e.g. after an interrupted `pulumi up`. */
export const pullCommand = sut.connection
  ? pulumi.interpolate`mkdir -p ${lab.pullBack.resultsPath} && ssh -i <your private key> -p ${sut.plan.port} ${sut.plan.user}@${sut.address} '${sut.plan.user === "root" ? "" : "sudo -n "}tar -C /opt/edgelab/${lab.pullBack.resultsPath} -czf - .' | tar -xzf - -C ${lab.pullBack.resultsPath}`
  : "(local target: the results are written here directly)";
export const resultsPath = lab.pullBack.resultsPath;
export const cells = plan.cells.length;
export const cellCounts = lab.pullBack.counts;
export const planned = lab.sweep.planned;
export const preflight = lab.preflight;
export const hostFacts = lab.hostFacts;
export const artifactSizes = lab.artifacts.sizes;
export const estimatedCostPerHourEur = plan.cost.perHourEur;
export const estimatedRunHours = Math.round((plan.cost.sweepHours + plan.cost.bootstrapHours) * 100) / 100;
export const estimatedRunCostEur = plan.cost.runEur;
export const pricesAsOf = PRICES_AS_OF;
