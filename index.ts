/**
 * The Pulumi program. It validates the stack's configuration and publishes the artifact plan of
 * the chosen paper revision (pinned versions, image names, the exact ops commands). Hosts,
 * bootstrap, the artifacts as resources and the sweep are added as components under infra/.
 */
import * as pulumi from "@pulumi/pulumi";
import { artifactPlan } from "./infra/artifactPlan";
import { DEFAULT_REVISION_ID, loadRevision } from "./lab/config/revision";

const config = new pulumi.Config();
const revision = loadRevision(config.get("revision") ?? DEFAULT_REVISION_ID);

export const revisionId = revision.id;
export const pinnedVersions = revision.versions;
export const artifacts = artifactPlan(revision);
