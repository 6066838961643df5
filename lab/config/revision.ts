import { DEFAULT_REVISION_ID, type Revision, RevisionSchema, readRevision } from "../../core/config/revision";
import { addRegistryIssues } from "./profile";

/** A revision this checkout can run: its shape (core) and every profile's platforms and knobs (the registry). */
const RunnableRevisionSchema = RevisionSchema.superRefine((revision, ctx) => addRegistryIssues(revision.profiles, ctx));

/** Load a revision for a run or a plan; `idOrPath` is a revision id or a path to a YAML file. */
export function loadRevision(idOrPath: string = DEFAULT_REVISION_ID): Revision {
  return readRevision(idOrPath, RunnableRevisionSchema);
}
