import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { UsageError } from "../../core/cli/args";
import { InputError } from "../../core/config/errors";
import type { Profile } from "../../core/config/profile";
import { profileOf } from "../../core/config/profileLookup";
import type { Revision } from "../../core/config/revision";
import type { SweepGenerators } from "../../core/load/record";
import type { GeneratorChoice, GeneratorName } from "../../core/load/types";
import type { Cell } from "../../core/matrix";
import type { Runtime } from "../../core/model";
import { localArtifactRef } from "../../core/results/artifactRefs";
import { CELLS_DIR, readManifest, recordedCellIds } from "../../core/results/read";
import { newRunId } from "../../core/results/runId";
import type { CellResult, Manifest } from "../../core/results/schema";
import { shellQuote } from "../../core/shell";
import {
  type ArtifactRecord,
  artifactStillPresent,
  artifactsDir,
  buildArtifacts,
} from "../../workloads/artifacts/build";
import { findGoToolchain } from "../../workloads/artifacts/goToolchain";
import { gitState, hostFacts, versionOf } from "../hostFacts";
import { autocannonVersion } from "../load/autocannon";
import { probeVersion } from "../load/generator";
import type { RemoteLoadHost } from "../load/remote";
import { prepareGenerators } from "../load/sweep";
import { wrkGenerator } from "../load/wrk";
import { expandMatrix, type Selection } from "../matrix";
import { SCRIPT_NAMES } from "../platforms/instance";
import { probeKvm } from "../platforms/kvm";
import { allPlatforms, getPlatform } from "../platforms/registry";
import type { Availability } from "../platforms/types";
import { acquireRunLock, describeHolder, LOCK_FILE, liveHolderOf, type RunLock, RunLockedError } from "../results/lock";
import { readBuiltArtifacts } from "../results/queries";
import {
  cellRawDir,
  cleanLeftovers,
  createRunDir,
  markActive,
  storageFault,
  storageProblem,
  writeCellResult,
  writeManifest,
} from "../results/store";
import { estimateCellSeconds } from "./eta";
import { measureHarnessFloor } from "./harnessFloor";
import { formatDuration, progressLine, summaryTable } from "./progress";
import { CellInterrupted, runCell, skippedCell } from "./runCell";
import { trialStart } from "./trial";

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
  /** The command line's generator (overrides the profile's). */
  generatorPreference: GeneratorChoice | null;
  /** Cross-check every load cell with this generator (overrides the profile's selection). */
  crossCheck?: GeneratorName;
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
  /** The Pulumi lab's host pair running this invocation (edge-lab:pairs > 1): recorded in each result. */
  pair?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface RunnerOutcome {
  runId: string;
  runDir: string;
  interrupted: boolean;
  /** Why the sweep stopped before its end when it could not go on (a full results disk), with the resume command. */
  stopped?: string;
  results: CellResult[];
  ran: number;
}

async function checkPlatforms(names: readonly string[], allowEmulation: boolean, revision: Revision) {
  const availability = new Map<string, Availability>();
  for (const name of names) {
    availability.set(name, await getPlatform(name).checkAvailability({ allowEmulation, versions: revision.versions }));
  }
  return availability;
}

/**
 * Ends what the given runs' platforms left behind (a SIGKILLed runner's sandboxes, VMs, taps):
 * those runs' only, so a lab or a test running beside this one keeps its instances.
 */
async function cleanPlatformLeftovers(runIds: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const platform of allPlatforms()) {
    if (!platform.cleanupLeftovers) continue;
    try {
      removed.push(...(await platform.cleanupLeftovers({ runIds })));
    } catch (error) {
      removed.push(`${platform.name}: cleanup failed: ${(error as Error).message}`);
    }
  }
  return removed;
}

async function versionsFound(): Promise<Record<string, string | null>> {
  const go = await findGoToolchain().catch(() => undefined);
  return {
    node: process.version,
    go: go?.version ?? null,
    docker: await versionOf("docker", ["version", "--format", "{{.Server.Version}}"]),
    k6: await versionOf("k6", ["version"]),
    wrk: await probeVersion(wrkGenerator),
    autocannon: autocannonVersion(),
    ops: await versionOf("ops", ["version"]),
    qemu: await versionOf("qemu-system-x86_64", ["--version"]),
  };
}

/** What the artifact builder last made for the revision (none when it never ran or its manifest is unusable). */
function lastBuilt(revision: Revision): ArtifactRecord[] {
  try {
    return readBuiltArtifacts(join(artifactsDir(revision), "manifest.json"));
  } catch {
    return [];
  }
}

/**
 * The artifacts the runnable cells need. A resumed run reuses the ones it recorded when they are
 * all still present, so every cell of a run measures the same builds (and the Pulumi lab, which
 * resumes once per cell, does not rebuild per cell); otherwise they are built.
 */
async function prepareArtifacts(
  revision: Revision,
  cells: readonly Cell[],
  availability: Map<string, Availability>,
  recorded: readonly ArtifactRecord[] = [],
): Promise<{ artifactOf: (runtime: Runtime, kind: string) => string | undefined; records: ArtifactRecord[] }> {
  const runnable = cells.filter((c) => availability.get(c.spec.platform)?.ok);
  const runtimes = [...new Set(runnable.map((c) => c.spec.runtime))];
  const recipes = [
    ...new Map(runnable.map((c) => getPlatform(c.spec.platform).artifact).map((r) => [r.kind, r])).values(),
  ];
  let records: ArtifactRecord[] = [];
  if (runtimes.length > 0 && recipes.length > 0) {
    const checks = runtimes.flatMap((runtime) =>
      recipes.map((recipe) => {
        const record = recorded.find((a) => a.runtime === runtime && a.kind === recipe.kind);
        return record ? artifactStillPresent(recipe, record) : Promise.resolve(false);
      }),
    );
    const reusable = (await Promise.all(checks)).every(Boolean);
    records = reusable ? [...recorded] : (await buildArtifacts({ revision, runtimes, recipes })).artifacts;
  }
  const artifactOf = (runtime: Runtime, kind: string) =>
    records.find((a) => a.runtime === runtime && a.kind === kind && a.status === "built")?.ref;
  return { artifactOf, records };
}

/** Start and stop one instance per platform that has cells to run; a platform that cannot is skipped with its error. */
async function trialPlatforms(
  cells: readonly Cell[],
  availability: Map<string, Availability>,
  artifactOf: (runtime: Runtime, kind: string) => string | undefined,
  profile: Profile,
  runId: string,
  options: RunnerOptions,
  log: (line: string) => void,
): Promise<void> {
  const workRoot = mkdtempSync(join(tmpdir(), "edgelab-trial-"));
  try {
    for (const [name, found] of availability) {
      const cell = cells.find((c) => c.spec.platform === name);
      if (!found.ok || !cell) continue;
      const platform = getPlatform(name);
      const artifact = artifactOf(cell.spec.runtime, platform.artifact.kind);
      if (!artifact) continue;
      const trial = (emulated: boolean, attempt: string) =>
        trialStart({
          platform,
          runtime: cell.spec.runtime,
          artifact,
          knobs: profile.knobs,
          workDir: join(workRoot, name, attempt),
          runId,
          bindAddress: options.bindAddress ?? "127.0.0.1",
          emulated,
          allowEmulation: profile.allowEmulation,
          timeoutMs: profile.ttr.timeoutS * 1000,
        });
      let outcome = await trial(found.facts.accelerator === "tcg", "first");
      // A KVM that passed its probe may still hang this platform's guest: with emulation allowed
      // the platform runs under TCG (its cells marked emulated) rather than not at all.
      if (!outcome.ok && found.facts.accelerator === "kvm" && profile.allowEmulation) {
        const emulated = await trial(true, "tcg");
        if (emulated.ok) {
          found.facts.accelerator = "tcg";
          found.facts.kvmUsable = false;
          found.facts.kvmReason = `the trial instance did not start under KVM (${outcome.reason}); it did under TCG`;
          log(`  ${name.padEnd(7)} ${availabilityLine(found)}`);
          outcome = emulated;
        }
      }
      if (outcome.ok) {
        found.facts.trialTtrMs = Math.round(outcome.ttrMs * 1000) / 1000;
        // The VM's exact QEMU command line, shell-quoted: the report sets the VM rows' side by side.
        if (outcome.commandLine) found.facts.qemuCommandLine = outcome.commandLine.map(shellQuote).join(" ");
      } else {
        availability.set(name, { ok: false, reason: outcome.reason, facts: found.facts });
        log(`  ${name.padEnd(7)} skipped: ${outcome.reason}`);
      }
    }
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
}

/** A platform's line in the plan: available, available under emulation and why KVM was not used, or skipped and why. */
export function availabilityLine(a: Availability): string {
  if (!a.ok) return `skipped: ${a.reason ?? "not available"}`;
  if (a.facts.accelerator !== "tcg") return "available";
  const why = typeof a.facts.kvmReason === "string" ? a.facts.kvmReason : "KVM was not checked";
  return `available under TCG emulation (its results are marked emulated): KVM not used: ${why}`;
}

/** For a run with no load cell (startup only): never used to load anything. */
const NO_GENERATORS: SweepGenerators = {
  choice: "auto",
  primary: "k6",
  crossCheck: null,
  ceilings: [],
  note: "no load cell",
};

/**
 * The local lab: plan, build, run every cell in order, record each result as it finishes.
 * Interrupting stops the current cell, removes its instance and leaves it unrecorded, so
 * `--resume` runs exactly the cells that have no result. The run folder is locked for the whole
 * run (lab/results/lock.ts): a second lab on it is refused before it writes anything.
 */
export async function runLab(options: RunnerOptions): Promise<RunnerOutcome> {
  const runId =
    options.run.kind === "resume" ? options.run.runId : (options.run.runId ?? newRunId(options.run.profileName));
  const runDir = join(options.resultsRoot, runId);
  if (options.dryRun) return sweep(options, runId, runDir, { manifestWritten: false });
  let lock: RunLock;
  let createdHere = false;
  try {
    if (options.run.kind === "resume") {
      readManifest(runDir); // a folder that is no run is refused before anything is written into it
      lock = acquireRunLock(runDir);
    } else {
      try {
        createRunDir(options.resultsRoot, runId);
      } catch (error) {
        // The folder exists: when a live lab holds it, say who, rather than only that it exists.
        const holder = liveHolderOf(runDir);
        if (holder) throw new RunLockedError(join(runDir, LOCK_FILE), holder);
        throw error;
      }
      createdHere = true;
      lock = acquireRunLock(runDir);
    }
  } catch (error) {
    if (createdHere) rmSync(runDir, { recursive: true, force: true });
    const problem = storageProblem(error, options.resultsRoot);
    if (problem !== null) {
      const retry = options.run.kind === "resume" ? `; fix it, then: npm run lab -- --resume ${runId}` : "";
      throw new InputError(`the results storage refused a write (${problem}): nothing was run${retry}`);
    }
    throw error;
  }
  const state = { manifestWritten: false };
  try {
    if (lock.tookOverFrom) {
      const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
      log(`took over the lock of ${describeHolder(lock.tookOverFrom)}: that lab is no longer running`);
    }
    return await sweep(options, runId, runDir, state);
  } catch (error) {
    // A run that never got its manifest is no run: leave no folder that --resume would trip on.
    if (createdHere && !state.manifestWritten) rmSync(runDir, { recursive: true, force: true });
    const problem = storageProblem(error, options.resultsRoot);
    if (problem !== null) {
      throw new InputError(
        createdHere && !state.manifestWritten
          ? `the results storage refused a write (${problem}): no run was made`
          : storageStopped(problem, runId),
      );
    }
    throw error;
  } finally {
    lock.release();
  }
}

function storageStopped(problem: string, runId: string): string {
  return (
    `stopped: the results storage refused a write (${problem}). Every cell recorded so far is kept; ` +
    `free space or fix the folder, then finish with: npm run lab -- --resume ${runId}`
  );
}

async function sweep(
  options: RunnerOptions,
  runId: string,
  runDir: string,
  state: { manifestWritten: boolean },
): Promise<RunnerOutcome> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const signal = options.signal ?? new AbortController().signal;

  const leftovers = await cleanLeftovers(options.resultsRoot);
  if (leftovers.length > 0) {
    log(`removed ${leftovers.length} instance(s) an interrupted run left behind`);
    // A runner was killed here: its platforms may hold more than its instances' own cleanup finds
    // (sandbox processes, taps). Only then, and only that run's: another lab on this host (a live
    // run, which cleanLeftovers skipped by its lock, or a test) keeps its instances.
    const runIds = [...new Set(leftovers.map((l) => l.runId))];
    for (const line of await cleanPlatformLeftovers(runIds)) log(`removed a leftover: ${line}`);
  }

  let revision: Revision;
  let profileName: string;
  let selection: Selection;
  let existing: Manifest | undefined;
  if (options.run.kind === "resume") {
    existing = readManifest(runDir);
    revision = existing.revision;
    profileName = existing.profileName;
    selection = existing.selection as Selection;
  } else {
    revision = options.run.revision;
    profileName = options.run.profileName;
    selection = options.run.selection;
  }
  const profile = existing?.profile ?? profileOf(revision, profileName, (problem) => new UsageError(problem));
  const cells = expandMatrix(profile, revision.id, selection);
  if (cells.length === 0)
    throw new UsageError("the selection leaves no cell to run: widen --runtime/--platform/--workload/--memory");

  const platforms = [...new Set(cells.map((c) => c.spec.platform))];
  const availability = await checkPlatforms(platforms, profile.allowEmulation, revision);
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
  // A file in a cell's place that is no result (a disk that filled mid-write, a copy cut short)
  // recorded nothing: the cell runs again, and the file is kept beside when its result is written.
  for (const cell of todo) {
    const file = join(runDir, CELLS_DIR, `${cell.id}.json`);
    if (existing && existsSync(file))
      log(`  ${relative(runDir, file)} (${cell.name}) is no valid result: it runs again`);
  }
  for (const [name, a] of availability) log(`  ${name.padEnd(7)} ${availabilityLine(a)}`);
  const eta = runnable.reduce((sum, c) => sum + estimateCellSeconds(c), 0);
  log(
    `  ${cells.length} cells: ${recorded.size} already recorded, ${runnable.length} to run, ` +
      `${todo.length - runnable.length} skipped; estimated ${formatDuration(eta)}`,
  );
  if (options.dryRun) return { runId, runDir, interrupted: false, results: [], ran: 0 };

  const kvm = await probeKvm();
  // A resume reuses the run's own artifacts; a plan (the Pulumi lab's, right after its one artifact
  // build) reuses what the builder last made. Either builds only when something is missing.
  const reusable = existing
    ? (existing.artifacts as unknown as ArtifactRecord[]).map((a) => ({ ...a, ref: localArtifactRef(a.ref) }))
    : options.planOnly
      ? lastBuilt(revision)
      : [];
  const { artifactOf, records } = await prepareArtifacts(revision, todo, availability, reusable);
  // A single cell (the Pulumi lab's one command per cell) records its own failed start instead.
  if (!options.onlyCells) await trialPlatforms(todo, availability, artifactOf, profile, runId, options, log);
  const harness = options.planOnly ? undefined : { ttrFloor: await measureHarnessFloor() };
  if (harness) log(`  time-to-ready harness floor: ${harness.ttrFloor.medianMs.toFixed(2)} ms (median)`);
  const platformFacts = Object.fromEntries(
    [...availability].map(([name, a]) => [name, { ok: a.ok, reason: a.reason ?? null, facts: a.facts }]),
  );
  // Before the first cell: the generators and their ceilings, kept in the manifest (a resume reuses
  // them). A plan-only run leaves them to its first resume, which knows where the load runs.
  // Every load cell of the run, not only this invocation's: a resume of one cell records ceilings for all.
  const loadCells = cells.filter((c) => c.spec.workload !== "startup" && availability.get(c.spec.platform)?.ok);
  const generators: SweepGenerators | undefined =
    existing?.generators ??
    (loadCells.length === 0 || options.planOnly
      ? undefined
      : await prepareGenerators({
          choice: options.generatorPreference ?? profile.generator ?? "auto",
          crossCheck: options.crossCheck ? { generator: options.crossCheck } : (profile.crossCheck ?? null),
          load: profile.load,
          workloads: [...new Set(loadCells.map((c) => c.spec.workload as "io" | "compute"))],
          appCpus: [...new Set(loadCells.map((c) => c.spec.cpus))],
          ...(options.loadHost
            ? { remote: { loadHost: options.loadHost, bindAddress: options.bindAddress ?? "127.0.0.1" } }
            : {}),
          outDir: join(runDir, "calibration"),
          signal,
          log,
        }));
  if (existing && generators && !existing.generators) existing.generators = generators;
  if (existing) {
    existing.resumes.push({
      at: new Date().toISOString(),
      host: hostFacts(kvm).hostname,
      ...(harness ? { ttrFloorMs: harness.ttrFloor.medianMs } : {}),
    });
    writeManifest(runDir, existing);
  } else {
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
      ...(generators ? { generators } : {}),
      host: hostFacts({ usable: kvm.usable, reason: kvm.reason, detail: kvm.detail }),
      ...(harness ? { harness } : {}),
      versionsFound: await versionsFound(),
      platforms: platformFacts,
      artifacts: records as unknown as Record<string, unknown>[],
      git: await gitState(),
      cells: cells.map((c) => ({ id: c.id, name: c.name })),
      resumes: [],
    });
  }
  state.manifestWritten = true;

  if (options.planOnly) {
    log(`planned ${runDir}: run cells with --resume ${runId} [--cell ID]`);
    return { runId, runDir, interrupted: false, results: [], ran: 0 };
  }

  const results: CellResult[] = [];
  let ran = 0;
  let spentS = 0;
  let estimatedDoneS = 0;
  let stopped: string | undefined;
  for (const cell of todo) {
    if (signal.aborted) break;
    const available = availability.get(cell.spec.platform);
    let result: CellResult;
    if (!available?.ok) {
      result = skippedCell(cell, available?.reason ?? `${cell.spec.platform}: not available`);
    } else {
      const platform = getPlatform(cell.spec.platform);
      const artifact = artifactOf(cell.spec.runtime, platform.artifact.kind);
      if (!artifact) throw new Error(`no ${platform.artifact.kind} artifact was built for ${cell.spec.runtime}`);
      try {
        result = await runCell({
          cell,
          runDir,
          runId,
          platform,
          artifact,
          readyTimeoutS: profile.ttr.timeoutS,
          emulated: available.facts.accelerator === "tcg",
          bindAddress: options.bindAddress ?? "127.0.0.1",
          ...(options.loadHost ? { loadHost: options.loadHost } : {}),
          generators: generators ?? NO_GENERATORS,
          signal,
        });
      } catch (error) {
        if (error instanceof CellInterrupted || signal.aborted) break;
        const problem = storageFault(error, runDir, options.resultsRoot);
        if (problem === null) throw error;
        stopped = storageStopped(problem, runId);
        break;
      }
      ran++;
      spentS += result.wallS;
      estimatedDoneS += estimateCellSeconds(cell);
      if (mayBePlatformGone(result)) await recheckPlatform(cell, result, runDir, availability, profile, revision, log);
    }
    if (options.pair !== undefined) result = { ...result, pair: options.pair };
    try {
      const kept = writeCellResult(runDir, result);
      if (kept) log(`  ${relative(runDir, kept)}: the unreadable file that stood in this cell's place, kept beside`);
    } catch (error) {
      const problem = storageFault(error, runDir, options.resultsRoot);
      if (problem === null) throw error;
      stopped = storageStopped(problem, runId);
      break;
    }
    results.push(result);
    const remaining = runnable.slice(runnable.indexOf(cell) + 1).reduce((s, c) => s + estimateCellSeconds(c), 0);
    const pace = estimatedDoneS > 0 ? spentS / estimatedDoneS : 1;
    log(progressLine(results.length, todo.length, result, remaining * pace));
  }

  const interrupted = signal.aborted;
  if (stopped) {
    log(`${results.length} of ${todo.length} cells recorded; ${stopped}`);
  } else if (interrupted) {
    log(
      `interrupted: ${results.length} of ${todo.length} cells recorded; finish with: npm run lab -- --resume ${runId}`,
    );
  } else {
    log(summaryTable(results));
    log(`results: ${runDir}`);
  }
  return { runId, runDir, interrupted, results, ran, ...(stopped ? { stopped } : {}) };
}

/**
 * A failure that may be the platform's rather than the app's: it could not launch, the lab
 * failed, or the instance ended without the platform saying how (a stopped Docker engine reports
 * no exit code). An app that crashed with an exit code, or was OOM-killed, says nothing about the
 * platform, so the (sometimes costly) check is not run again for it.
 */
function mayBePlatformGone(result: CellResult): boolean {
  if (result.status === "failed-start" || result.status === "lab-error") return true;
  const unknownEnd = result.exit === null || (result.exit.exitCode === null && result.exit.signal === null);
  return (result.status === "crashed" || result.status === "timeout") && unknownEnd;
}

/**
 * After a cell that failed, ask its platform again whether it can run here (a Docker engine that
 * stopped, a tool gone from PATH). If not, the failure was the host's, not the app's: the cell is
 * a lab-error with the platform's own reason, and the platform's later cells are skipped with it.
 * Only after a failure, so healthy sweeps pay nothing.
 */
async function recheckPlatform(
  cell: Cell,
  result: CellResult,
  runDir: string,
  availability: Map<string, Availability>,
  profile: Profile,
  revision: Revision,
  log: (line: string) => void,
): Promise<void> {
  const name = cell.spec.platform;
  const now = await getPlatform(name)
    .checkAvailability({ allowEmulation: profile.allowEmulation, versions: revision.versions })
    .catch((error: unknown) => ({ ok: false, reason: `${name}: ${(error as Error).message}`, facts: {} }));
  if (now.ok) return;
  const reason = `${now.reason ?? `${name}: not available`} (found after ${cell.name})`;
  availability.set(name, { ok: false, reason, facts: availability.get(name)?.facts ?? {} });
  result.status = "lab-error";
  result.reason = `${result.reason ?? "the cell failed"}; then ${name} failed its check: ${now.reason}`;
  log(`  ${name.padEnd(7)} went away during the sweep: its later cells are skipped: ${now.reason}`);
  // Its stop could not reach the platform (a stopped engine keeps its containers' records): the
  // cell's instances stay marked, so the next lab run here removes them once the platform is back.
  const rawDir = cellRawDir(runDir, cell.id);
  const dirs = [
    rawDir,
    ...readdirSync(rawDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(rawDir, e.name)),
  ];
  const scripts = dirs.map((dir) => join(dir, SCRIPT_NAMES.cleanup)).filter((path) => existsSync(path));
  for (const [i, script] of scripts.entries()) markActive(runDir, `unconfirmed-${cell.id}-${i + 1}`, script);
  if (scripts.length > 0) log(`  ${cell.name}: ${scripts.length} instance(s) kept marked for the next run's cleanup`);
}
