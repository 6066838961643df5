/** Test helpers for the revision's downloads: a file by key, and a revision as after infra/pin.ts. */
import type { Download, Downloads, Revision } from "../../core/config/revision";
import { downloadOf, lockableDownloads } from "../installs";

/** A file of the revision's downloads by key; the test fails when the revision does not name it. */
export function fileOf(downloads: Downloads | undefined, key: string): Download {
  const d = downloads ? downloadOf(downloads, key) : undefined;
  if (!d) throw new Error(`the test revision names no downloads.${key}`);
  return d;
}

/** The revision as after `infra/pin.ts`: every lockable file it names has a sha256 (zeros where it had none). */
export function pinnedForTests(revision: Revision): Revision {
  for (const key of lockableDownloads()) {
    const d = revision.downloads ? downloadOf(revision.downloads, key) : undefined;
    if (d) d.sha256 ??= "0".repeat(64);
  }
  return revision;
}
