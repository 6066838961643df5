import { existsSync } from "node:fs";
import { join } from "node:path";
import { type ArtifactKind, type ArtifactRecord, buildArtifacts } from "../../workloads/artifacts/build";
import { findGoToolchain } from "../../workloads/artifacts/goToolchain";
import { imageName as nanosImageName } from "../../workloads/artifacts/nanos";
import { UsageError } from "../cli/args";
import type { Profile } from "../config/profile";
import type { Revision } from "../config/revision";
import { run } from "../exec";
import { gitState, hostFacts, versionOf } from "../hostFacts";
import { autocannonVersion } from "../load/fallback";
import type { RemoteLoadHost } from "../load/remote";
import type { GeneratorName } from "../load/types";
import { type Cell, expandMatrix, type Selection } from "../matrix";
import type { Runtime } from "../model";
import { probeKvm } from "../platforms/kvm";
import { platformRegistry } from "../platforms/registry";
import type { Availability, InstanceArtifacts, PlatformName } from "../platforms/types";
import type { CellResult, Manifest } from "../results/schema";
import {
  cleanLeftovers,
  createRunDir,
  newRunId,
  readManifest,
  recordedCellIds,
  writeCellResult,
  writeManifest,
} from "../results/store";
import { estimateCellSeconds, formatDuration, progressLine, summaryTable } from "./report";
import { CellInterrupted, runCell, skippedCell } from "./runCell";

export interface NewRun {
  kind: "new";
  revision: Revision;
  profileName: string;
  selection: Selection;
  runId?: string;
}

export interface ResumedRun {
  kind: "resume";
  runId: string;
}

export interface RunnerOptions {
  run: NewRun | ResumedRun;
  resultsRoot: string;
  generatorPreference: GeneratorName | null;
  /** Print the plan and stop. */
  dryRun?: boolean;
  /** Create the run (manifest, artifacts) without running a cell: the Pulumi lab's first step. */
  planOnly?: boolean;
  /** Run only these cells (ids or names); the Pulumi lab runs one cell per command. */
  onlyCells?: readonly string[];
  /** Where instances publish their port (default 127.0.0.1). */
  bindAddress?: string;
  /** Load from another host over SSH instead of here. */
  loadHost?: RemoteLoadHost;
  /** Recorded in a new run's manifest, e.g. "local" or "pulumi:<stack>". */
  origin?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface RunnerOutcome {
  runId: string;
  runDir: string;
  interrupted: boolean;
  results: CellResult[];
  ran: number;
}

function profileOf(revision: Revision, name: string): Profile {
  const profile = revision.profiles[name];
  if (!profile) {
    throw new UsageError(
      `profile ${JSON.stringify(name)} is not in revision ${revision.id}: use one of ${Object.keys(revision.profiles).join(", ")}`,
    );
  }
  return profile;
}

async function checkPlatforms(names: readonly PlatformName[], allowEmulation: boolean) {
  const availability = new Map<PlatformName, Availability>();
  for (const name of names) availability.set(name, await platformRegistry[name].checkAvailability({ allowEmulation }));
  return availability;
}

async function versionsFound(): Promise<Record<string, string | null>> {
  const go = await findGoToolchain().catch(() => undefined);
  return {
    node: process.version,
    go: go?.version ?? null,
    docker: await versionOf("docker", ["version", "--format", "{{.Server.Version}}"]),
    k6: await versionOf("k6", ["version"]),
    autocannon: autocannonVersion(),
    ops: await versionOf("ops", ["version"]),
    qemu: await versionOf("qemu-system-x86_64", ["--version"]),
  };
}

/** Build what the runnable cells need and say where each runtime's artifacts are. */
/** Whether an artifact a run recorded is still there to be used (a file, or an image the daemon has). */
async function stillPresent(record: ArtifactRecord): Promise<boolean> {
  if (record.status !== "built") return false;
  if (record.kind === "docker-offline" || record.kind === "docker-paper") {
    return run("docker", ["image", "inspect", record.ref]).then(
      () => true,
      () => false,
    );
  }
  return existsSync(record.ref);
}

/**
 * The artifacts the runnable cells need. A resumed run reuses the ones it recorded when they are
 * all still present, so every cell of a run measures the same builds (and the Pulumi lab, which
 * resumes once per cell, does not rebuild per cell); otherwise they are built.
 */
async function prepareArtifacts(
  revision: Revision,
  cells: readonly Cell[],
  availability: Map<PlatformName, Availability>,
  recorded: readonly ArtifactRecord[] = [],
): Promise<{ byRuntime: Map<Runtime, InstanceArtifacts>; records: ArtifactRecord[] }> {
  const runnable = cells.filter((c) => availability.get(c.spec.platform)?.ok);
  const runtimes = [...new Set(runnable.map((c) => c.spec.runtime))];
  const kinds = [...new Set(runnable.map((c) => platformRegistry[c.spec.platform].artifactKind))] as ArtifactKind[];
  const byRuntime = new Map<Runtime, InstanceArtifacts>();
  if (runtimes.length === 0 || kinds.length === 0) return { byRuntime, records: [] };
  const needed = runtimes.flatMap((runtime) =>
    kinds
      .filter((kind) => kind !== "nanos")
      .map((kind) => recorded.find((a) => a.runtime === runtime && a.kind === kind)),
  );
  const reusable =
    needed.every((a) => a !== undefined) &&
    (await Promise.all(needed.map((a) => stillPresent(a as ArtifactRecord)))).every(Boolean);
  const artifacts = reusable ? [...recorded] : (await buildArtifacts({ revision, runtimes, kinds })).artifacts;
  for (const runtime of runtimes) {
    const ref = (kind: ArtifactKind) => artifacts.find((a) => a.runtime === runtime && a.kind === kind)?.ref;
    byRuntime.set(runtime, {
      command: ref("binary") ? [ref("binary") as string] : [],
      dockerImage: ref("docker-offline") ?? "",
      nanosImage: nanosImageName(runtime, revision),
      microvmImage: ref("microvm") ?? "",
    });
  }
  return { byRuntime, records: artifacts };
}

/**
 * The local lab: plan, build, run every cell in order, record each result as it finishes.
 * Interrupting stops the current cell, removes its instance and leaves it unrecorded, so
 * `--resume` runs exactly the cells that have no result.
 */
export async function runLab(options: RunnerOptions): Promise<RunnerOutcome> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const signal = options.signal ?? new AbortController().signal;

  const leftovers = await cleanLeftovers(options.resultsRoot);
  if (leftovers.length > 0) log(`removed ${leftovers.length} instance(s) an interrupted run left behind`);

  let revision: Revision;
  let profileName: string;
  let selection: Selection;
  let runId: string;
  let existing: Manifest | undefined;
  if (options.run.kind === "resume") {
    runId = options.run.runId;
    existing = readManifest(join(options.resultsRoot, runId));
    revision = existing.revision;
    profileName = existing.profileName;
    selection = existing.selection as Selection;
  } else {
    revision = options.run.revision;
    profileName = options.run.profileName;
    selection = options.run.selection;
    runId = options.run.runId ?? newRunId(profileName);
  }
  const profile = existing?.profile ?? profileOf(revision, profileName);
  const cells = expandMatrix(profile, revision.id, selection);
  if (cells.length === 0)
    throw new UsageError("the selection leaves no cell to run: widen --runtime/--platform/--workload/--memory");

  const platforms = [...new Set(cells.map((c) => c.spec.platform))];
  const availability = await checkPlatforms(platforms, profile.allowEmulation);
  const runDir = join(options.resultsRoot, runId);
  const recorded = existing ? recordedCellIds(runDir) : new Set<string>();
  if (options.onlyCells) {
    const known = new Set(cells.flatMap((c) => [c.id, c.name]));
    const unknown = options.onlyCells.filter((c) => !known.has(c));
    if (unknown.length > 0) throw new UsageError(`--cell ${unknown.join(", ")}: not a cell of run ${runId}`);
  }
  const todo = cells.filter(
    (c) =>
      !recorded.has(c.id) &&
      (!options.onlyCells || options.onlyCells.includes(c.id) || options.onlyCells.includes(c.name)),
  );
  const runnable = todo.filter((c) => availability.get(c.spec.platform)?.ok);

  log(`run ${runId}: revision ${revision.id}, profile ${profileName} (${profile.description})`);
  for (const [name, a] of availability) log(`  ${name.padEnd(7)} ${a.ok ? "available" : `skipped: ${a.reason}`}`);
  const eta = runnable.reduce((sum, c) => sum + estimateCellSeconds(c), 0);
  log(
    `  ${cells.length} cells: ${recorded.size} already recorded, ${runnable.length} to run, ` +
      `${todo.length - runnable.length} skipped; estimated ${formatDuration(eta)}`,
  );
  if (options.dryRun) return { runId, runDir, interrupted: false, results: [], ran: 0 };

  const kvm = await probeKvm();
  const { byRuntime, records } = await prepareArtifacts(
    revision,
    todo,
    availability,
    (existing?.artifacts ?? []) as unknown as ArtifactRecord[],
  );
  const platformFacts = Object.fromEntries(
    [...availability].map(([name, a]) => [name, { ok: a.ok, reason: a.reason ?? null, facts: a.facts }]),
  );
  if (existing) {
    existing.resumes.push({ at: new Date().toISOString(), host: hostFacts(kvm).hostname });
    writeManifest(runDir, existing);
  } else {
    createRunDir(options.resultsRoot, runId);
    writeManifest(runDir, {
      schemaVersion: 1,
      runId,
      createdAt: new Date().toISOString(),
      origin: options.origin ?? "local",
      revision,
      profileName,
      profile,
      selection: { ...selection } as Manifest["selection"],
      generatorPreference: options.generatorPreference,
      host: hostFacts({ usable: kvm.usable, reason: kvm.reason }),
      versionsFound: await versionsFound(),
      platforms: platformFacts,
      artifacts: records as unknown as Record<string, unknown>[],
      git: await gitState(),
      cells: cells.map((c) => ({ id: c.id, name: c.name })),
      resumes: [],
    });
  }

  if (options.planOnly) {
    log(`planned ${runDir}: run cells with --resume ${runId} [--cell ID]`);
    return { runId, runDir, interrupted: false, results: [], ran: 0 };
  }

  const results: CellResult[] = [];
  let ran = 0;
  let spentS = 0;
  let estimatedDoneS = 0;
  for (const cell of todo) {
    if (signal.aborted) break;
    const available = availability.get(cell.spec.platform);
    let result: CellResult;
    if (!available?.ok) {
      result = skippedCell(cell, available?.reason ?? `${cell.spec.platform}: not available`);
    } else {
      const artifacts = byRuntime.get(cell.spec.runtime);
      if (!artifacts) throw new Error(`no artifacts were built for ${cell.spec.runtime}`);
      try {
        result = await runCell({
          cell,
          runDir,
          runId,
          platform: platformRegistry[cell.spec.platform],
          artifacts,
          emulated: available.facts.accelerator === "tcg",
          bindAddress: options.bindAddress ?? "127.0.0.1",
          ...(options.loadHost ? { loadHost: options.loadHost } : {}),
          ...(options.generatorPreference ? { generatorPreference: options.generatorPreference } : {}),
          signal,
        });
      } catch (error) {
        if (error instanceof CellInterrupted || signal.aborted) break;
        throw error;
      }
      ran++;
      spentS += result.wallS;
      estimatedDoneS += estimateCellSeconds(cell);
    }
    writeCellResult(runDir, result);
    results.push(result);
    const remaining = runnable.slice(runnable.indexOf(cell) + 1).reduce((s, c) => s + estimateCellSeconds(c), 0);
    const pace = estimatedDoneS > 0 ? spentS / estimatedDoneS : 1;
    log(progressLine(results.length, todo.length, result, remaining * pace));
  }

  const interrupted = signal.aborted;
  if (interrupted) {
    log(
      `interrupted: ${results.length} of ${todo.length} cells recorded; finish with: npm run lab -- --resume ${runId}`,
    );
  } else {
    log(summaryTable(results));
    log(`results: ${runDir}`);
  }
  return { runId, runDir, interrupted, results, ran };
}
