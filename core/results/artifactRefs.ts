/**
 * Artifact refs as a results folder keeps them. The builders return absolute paths of this
 * checkout (build/artifacts/<revision>/bin/edgeapp-go); a manifest records them relative to the
 * repository, so a run folder reads the same on the machine that ran it, the operator's laptop
 * and CI. Image tags and paths outside the checkout (ops images in OPS_HOME) are kept as they are.
 */
import { isAbsolute, join, relative, sep } from "node:path";
import { repoRoot } from "../paths";

/** Every portable path ref starts here: the repository's build folder (core/paths buildDir). */
const BUILD_PREFIX = "build/";
/** Where older manifests' absolute refs of some checkout hold the lab's build folder. */
const OLD_BUILD_SEGMENT = "/build/artifacts/";

/** The ref to record: a path under this checkout's build/ relative to the checkout. */
export function portableArtifactRef(ref: string, root = repoRoot): string {
  if (!isAbsolute(ref)) return ref;
  const inside = relative(root, ref);
  if (inside.startsWith(`build${sep}`)) return inside.split(sep).join("/");
  // An older manifest: an absolute path of whatever checkout ran it, cut at the lab's build folder.
  const at = ref.indexOf(OLD_BUILD_SEGMENT);
  return at >= 0 ? ref.slice(at + 1) : ref;
}

/** The ref to use here: a portable path resolved against this checkout; anything else unchanged. */
export function localArtifactRef(ref: string, root = repoRoot): string {
  return ref.startsWith(BUILD_PREFIX) ? join(root, ref) : ref;
}
