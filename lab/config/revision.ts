import { DEFAULT_REVISION_ID, type Revision, RevisionSchema, readRevision } from "../../core/config/revision";
import { allInstalls } from "../installs";
import { addRegistryIssues } from "./profile";

/** The `versions` keys every revision has (core/config/revision.ts); others belong to plugins. */
const CORE_VERSION_KEYS = new Set(Object.keys(RevisionSchema.shape.versions.shape));

/** The version keys the registered plugins' downloads are of (lab/install.ts `downloads`). */
function pluginVersionKeys(): Set<string> {
  return new Set(
    allInstalls().flatMap((p) => Object.values(p.install.downloads ?? {}).filter((k): k is string => k !== null)),
  );
}

/**
 * A revision this checkout can run: its shape (core) and every profile's platforms and knobs (the
 * registry). A `versions` key no core tool and no registered plugin names is a typo, refused by name.
 */
const RunnableRevisionSchema = RevisionSchema.superRefine((revision, ctx) => {
  addRegistryIssues(revision.profiles, ctx);
  const known = pluginVersionKeys();
  for (const key of Object.keys(revision.versions)) {
    if (CORE_VERSION_KEYS.has(key) || known.has(key)) continue;
    const allowed = [...CORE_VERSION_KEYS, ...known].join(", ");
    ctx.addIssue({
      code: "custom",
      message: `unknown key: no tool or plugin of this checkout is versioned by it (use one of ${allowed})`,
      path: ["versions", key],
    });
  }
});

/** Load a revision for a run or a plan; `idOrPath` is a revision id or a path to a YAML file. */
export function loadRevision(idOrPath: string = DEFAULT_REVISION_ID): Revision {
  return readRevision(idOrPath, RunnableRevisionSchema);
}
