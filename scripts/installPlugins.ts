/**
 * The plugins' own installs on this machine (lab/install.ts `localScript`; for Nanos: the locked
 * ops and Nanos kernel). `scripts/install-system.sh` runs it as root once `npm ci` has run; each
 * plugin's script gets its downloads' variables from the revision and its lock (infra/lock.ts) and
 * LAB_HELPERS, and prints one line: what it installed, or why it could not.
 *
 *   sudo npx tsx scripts/installPlugins.ts [--revision paper-2025]
 */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { parseFlags, runMain } from "../core/cli/args";
import { type Revision, revisionPath } from "../core/config/revision";
import { repoRoot } from "../core/paths";
import { allInstalls, downloadOf, type PluginSources, registeredSources } from "../infra/installs";
import { type LockFile, lockPathOf, readLock } from "../infra/lock";
import { loadRevision } from "../lab/config/revision";
import { type DownloadValues, downloadEnv } from "../lab/install";

/** One plugin's local install: its script and environment, or why it cannot run yet. */
export type LocalInstall =
  | { plugin: string; script: string; env: Record<string, string> }
  | { plugin: string; notInstalled: string };

/** A download's values from the revision, or its lock where the revision pins no sha256. */
function lockedValues(
  revision: Revision,
  lock: LockFile,
  key: string,
  versionKey: string | null,
): DownloadValues | string {
  const d = revision.downloads ? downloadOf(revision.downloads, key) : undefined;
  if (!d) return `revision ${revision.id} names no downloads.${key}`;
  const entry = lock.files[key];
  const sha256 = d.sha256 ?? (entry && entry.url === d.url && entry.file === d.file ? entry.sha256 : null);
  if (sha256 === null) {
    return `downloads.${key} is not locked yet (lock it first: npx tsx infra/pin.ts --revision ${revision.id})`;
  }
  const version = versionKey ? ((revision.versions as Record<string, string | undefined>)[versionKey] ?? null) : null;
  return { file: d.file, url: d.url, sha256, version };
}

/** What each plugin with a local install would run here, from the revision and its lock. */
export function localInstalls(
  revision: Revision,
  lock: LockFile,
  sources: PluginSources = registeredSources(),
): LocalInstall[] {
  return allInstalls(sources)
    .filter((p) => p.install.localScript)
    .map((p): LocalInstall => {
      const values: Record<string, DownloadValues> = {};
      for (const [key, versionKey] of Object.entries(p.install.downloads ?? {})) {
        const value = lockedValues(revision, lock, key, versionKey);
        if (typeof value === "string") return { plugin: p.name, notInstalled: value };
        values[key] = value;
      }
      return {
        plugin: p.name,
        script: resolve(repoRoot, p.install.localScript as string),
        env: { ...downloadEnv(values), LAB_HELPERS: join(repoRoot, "infra", "bootstrap", "helpers.sh") },
      };
    });
}

/** Run each local install, one line each; a plugin that cannot install says why (exit code stays 0). */
export function runLocalInstalls(
  installs: readonly LocalInstall[],
  write: (line: string) => unknown = (line) => process.stdout.write(line),
): number {
  let failed = 0;
  for (const install of installs) {
    if ("notInstalled" in install) {
      write(`${install.plugin}: not installed: ${install.notInstalled}\n`);
      continue;
    }
    const result = spawnSync("bash", [install.script], { env: { ...process.env, ...install.env }, encoding: "utf8" });
    write(result.stdout);
    if (result.status !== 0) {
      failed++;
      write(
        `${install.plugin}: its install failed (exit ${result.status}): ${result.stderr.trim().split("\n").pop() ?? ""}\n`,
      );
    }
  }
  return failed;
}

if (require.main === module) {
  runMain(async () => {
    const values = parseFlags(
      { revision: { type: "string", default: "paper-2025" } },
      "usage: npx tsx scripts/installPlugins.ts [--revision ID|FILE]",
    );
    const id = values.revision as string;
    const file = id.endsWith(".yaml") || id.includes("/") ? resolve(id) : revisionPath(id);
    const revision = loadRevision(file);
    const failed = runLocalInstalls(localInstalls(revision, readLock(lockPathOf(file), revision.id)));
    if (failed > 0) process.exitCode = 1;
  });
}
