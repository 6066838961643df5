/**
 * Where the Pulumi lab keeps things on its hosts. One place, so the bootstrap, the sweep, the
 * pull-back and the tolerant clean-up on `pulumi destroy` agree.
 */
import { SUT_LAB_DIR } from "./sutArtifactPlan";

/** The lab's code (and its results) on a remote host. */
export const REMOTE_LAB_DIR = SUT_LAB_DIR;
/** Pinned tools: one folder per tool and version; /usr/local/bin holds links into it. */
export const TOOLS_DIR = "/opt/edgelab-tools";
/** Files from the stack's bundle directory (air-gapped labs), uploaded before the bootstrap. */
export const REMOTE_BUNDLE_DIR = "/opt/edgelab-bundle";
/** Markers of what a step installed (the code archive and lock file it last applied). */
export const STATE_DIR = "/var/lib/edgelab";
/** One log per bootstrap step and per cell: commands print one line, the detail stays here. */
export const LOG_DIR = "/var/log/edgelab";
/** The SUT's lab-internal key: the runner uses it to start k6 on the load generator. */
export const LAB_KEY_PATH = "/root/.ssh/edgelab_lab";
/** Comment on the lab key, so the load generator's authorized_keys line can be found and removed. */
export const LAB_KEY_COMMENT = "edgelab-sut";
/** The engine's own bundle folder for the pinned Node tarball (LAB_BUNDLE_DIR of the runner). */
export const ENGINE_BUNDLE_DIR = `${TOOLS_DIR}/engine-bundle`;

/** Results of a stack, relative to the lab's code folder (and to the operator's checkout). */
export function resultsRoot(stack: string): string {
  return `results/${stack}`;
}
