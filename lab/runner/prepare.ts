/**
 * The sweep's first phase: everything decided and made before the first cell. `planRun` says what
 * the run is (its revision, profile, cells, which of them this invocation runs) and which platforms
 * answer here; `prepareRun` builds the artifacts, starts one trial instance per platform, measures
 * the harness's floor and the generators' ceilings, and writes the manifest.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { UsageError } from "../../core/cli/args";
import type { Profile } from "../../core/config/profile";
import { profileOf } from "../../core/config/profileLookup";
import type { Revision } from "../../core/config/revision";
import type { SweepGenerators } from "../../core/load/record";
import type { Cell } from "../../core/matrix";
import type { Runtime } from "../../core/model";
import { localArtifactRef } from "../../core/results/artifactRefs";
import { CALIBRATION_DIR, CELLS_DIR, readCells, readManifest, soundCells } from "../../core/results/read";
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
import { calibrationSeconds, generatorsToMeasure, prepareGenerators, type SweepLoadPlan } from "../load/sweep";
import { wrkGenerator } from "../load/wrk";
import { expandMatrix, type Selection } from "../matrix";
import { probeKvm } from "../platforms/kvm";
import { getPlatform } from "../platforms/registry";
import type { Availability } from "../platforms/types";
import { readBuiltArtifacts } from "../results/queries";
import { writeManifest } from "../results/store";
import type { SweepEstimate } from "./estimate";
import { floorSchedule } from "./floor/search";
import { type HarnessFloor, measureHarnessFloor } from "./harnessFloor";
import { formatDuration } from "./progress";
import type { RunnerOptions } from "./runner";
import { newSeed } from "./schedules/interleaved";
import { trialStart } from "./trial";

/** What the run is, before anything is built or started. */
export interface RunPlan {
  runId: string;
  runDir: string;
  revision: Revision;
  profileName: string;
  profile: Profile;
  selection: Selection;
  /** The manifest of the run being resumed. */
  existing: Manifest | undefined;
  /** Every cell of the run, in matrix order. */
  cells: Cell[];
  /** Results the run has recorded before this invocation and keeps (sound files only). */
  earlier: CellResult[];
  /** Recorded lab-error cells this resume runs again (the lab failed there, not the app). */
  retried: CellResult[];
  /**
   * The cells this invocation runs, in matrix order; of a floor search, the scenarios it searches
   * (each cell is where one search starts, recorded or not: the search decides what is left).
   */
  todo: Cell[];
  /** Each platform of the run: whether it can run here, and why not (trials may still skip one). */
  availability: Map<string, Availability>;
  /** The seed of the run's shuffled, interleaved order; null: matrix order (a run made before the seed was recorded). */
  seed: number | null;
}

/** A plan with everything made that its cells need. */
export interface PreparedRun extends RunPlan {
  artifactOf: (runtime: Runtime, kind: string) => string | undefined;
  generators: SweepGenerators | undefined;
  harness: { ttrFloor: HarnessFloor } | undefined;
}

/** Which run, which cells and which platforms answer here; refuses a selection that leaves no cell. */
export async function planRun(options: RunnerOptions, runId: string, runDir: string): Promise<RunPlan> {
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

  const sound = existing ? soundCells(readCells(runDir)) : [];
  const keepLabErrors = options.run.kind === "resume" && options.run.keepLabErrors === true;
  const retried = keepLabErrors ? [] : sound.filter((c) => c.status === "lab-error");
  const earlier = sound.filter((c) => !retried.includes(c));
  const recorded = new Set(earlier.map((c) => c.id));
  if (options.onlyCells) {
    const known = new Set(cells.flatMap((c) => [c.id, c.name]));
    const unknown = options.onlyCells.filter((c) => !known.has(c));
    if (unknown.length > 0) throw new UsageError(`--cell ${unknown.join(", ")}: not a cell of run ${runId}`);
  }
  const todo = cells.filter(
    (c) =>
      (profile.floor !== undefined || !recorded.has(c.id)) &&
      (!options.onlyCells || options.onlyCells.includes(c.id) || options.onlyCells.includes(c.name)),
  );
  const platforms = [...new Set(cells.map((c) => c.spec.platform))];
  const availability = new Map<string, Availability>();
  for (const name of platforms) {
    availability.set(
      name,
      await getPlatform(name).checkAvailability({
        allowEmulation: profile.allowEmulation,
        versions: revision.versions,
      }),
    );
  }
  // A new interleaved run records its seed (the command line's to replay an order, else a fresh one); a resume keeps its run's.
  const interleavedRun = profile.order === "interleaved";
  const seed = existing ? (existing.schedule?.seed ?? null) : interleavedRun ? (options.seed ?? newSeed()) : null;
  if (options.seed !== undefined && !interleavedRun)
    throw new UsageError(
      `--seed ${options.seed}: profile ${profileName} runs in matrix order (set order: interleaved)`,
    );
  return {
    runId,
    runDir,
    revision,
    profileName,
    profile,
    selection,
    existing,
    cells,
    earlier,
    retried,
    todo,
    availability,
    seed,
  };
}

/** The plan's first lines: the run, files that hold no result, each platform's availability. */
export function describePlan(plan: RunPlan, log: (line: string) => void): void {
  log(`run ${plan.runId}: revision ${plan.revision.id}, profile ${plan.profileName} (${plan.profile.description})`);
  // A file in a cell's place that is no result (a disk that filled mid-write, a copy cut short)
  // recorded nothing: the cell runs again, and the file is kept beside when its result is written.
  for (const cell of plan.todo) {
    const file = join(plan.runDir, CELLS_DIR, `${cell.id}.json`);
    if (plan.existing && existsSync(file) && !plan.earlier.some((c) => c.id === cell.id))
      log(`  ${relative(plan.runDir, file)} (${cell.name}) is no valid result: it runs again`);
  }
  const retried = plan.retried.filter((c) => plan.todo.some((t) => t.id === c.id));
  if (retried.length > 0)
    log(
      `  ${retried.length} lab-error cell(s) run again, each earlier record kept beside (keep them as they are: --keep-lab-errors)`,
    );

  for (const [name, a] of plan.availability) log(`  ${name.padEnd(7)} ${availabilityLine(a)}`);
}

/** A platform's line in the plan: available, available under emulation and why KVM was not used, or skipped and why. */
export function availabilityLine(a: Availability): string {
  if (!a.ok) return `skipped: ${a.reason ?? "not available"}`;
  if (a.facts.accelerator !== "tcg") return "available";
  const why = typeof a.facts.kvmReason === "string" ? a.facts.kvmReason : "KVM was not checked";
  return `available under TCG emulation (its results are marked emulated): KVM not used: ${why}`;
}

/** For a run with no load cell (startup only): never used to load anything. */
export const NO_GENERATORS: SweepGenerators = {
  choice: "auto",
  primary: "k6",
  crossCheck: null,
  ceilings: [],
  note: "no load cell",
};

/**
 * Build, try each platform, measure the harness and the generators, write the manifest (then
 * `onManifest`, so the caller knows the run folder now holds a run). A plan-only run (the Pulumi
 * lab's first step) stops after the manifest and leaves the trials, the floor and the generators
 * to the invocations that run cells.
 */
export async function prepareRun(
  plan: RunPlan,
  options: RunnerOptions,
  estimate: SweepEstimate,
  log: (line: string) => void,
  signal: AbortSignal,
  onManifest: () => void,
): Promise<PreparedRun> {
  const { existing, revision, todo, availability, profile } = plan;
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
  if (!options.onlyCells) await trialPlatforms(plan, artifactOf, options, estimate, log);
  const harness = options.planOnly ? undefined : { ttrFloor: await measureHarnessFloor() };
  if (harness) log(`  time-to-ready harness floor: ${harness.ttrFloor.medianMs.toFixed(2)} ms (median)`);
  // The estimate comes once the trials said which platforms run and what an instance costs, and
  // before the generators' ceilings, whose time it counts.
  const loadPlan = existing?.generators || options.planOnly ? undefined : generatorPlan(plan, options, log, signal);
  const toMeasure = loadPlan ? await generatorsToMeasure(loadPlan) : [];
  const calibrationS = loadPlan ? calibrationSeconds(loadPlan, toMeasure) : 0;
  estimate.crossChecking(existing?.generators?.crossCheck ?? loadPlan?.crossCheck ?? null);
  announceEstimate(plan, estimate, calibrationS, log);
  const generators = existing?.generators ?? (loadPlan ? await prepareGenerators(loadPlan, toMeasure) : undefined);
  if (existing) {
    if (generators && !existing.generators) existing.generators = generators;
    existing.resumes.push({
      at: new Date().toISOString(),
      host: hostFacts(kvm).hostname,
      ...(harness ? { ttrFloorMs: harness.ttrFloor.medianMs } : {}),
    });
    writeManifest(plan.runDir, existing);
  } else {
    writeManifest(plan.runDir, {
      schemaVersion: 1,
      runId: plan.runId,
      createdAt: new Date().toISOString(),
      origin: options.origin ?? "local",
      revision,
      profileName: plan.profileName,
      profile,
      selection: { ...plan.selection } as Manifest["selection"],
      generatorPreference: options.generatorPreference,
      ...(generators ? { generators } : {}),
      host: hostFacts({ usable: kvm.usable, reason: kvm.reason, detail: kvm.detail }),
      ...(harness ? { harness } : {}),
      versionsFound: await versionsFound(),
      platforms: Object.fromEntries(
        [...availability].map(([name, a]) => [name, { ok: a.ok, reason: a.reason ?? null, facts: a.facts }]),
      ),
      artifacts: records as unknown as Record<string, unknown>[],
      git: await gitState(),
      cells: plan.cells.map((c) => ({ id: c.id, name: c.name })),
      ...(plan.seed !== null ? { schedule: { order: "interleaved" as const, seed: plan.seed } } : {}),
      resumes: [],
    });
  }
  onManifest();
  return { ...plan, artifactOf, generators, harness };
}

/**
 * How the generators and their ceilings are decided, before the first cell; they are kept in the
 * manifest (a resume reuses them). Every load cell of the run counts, not only this invocation's:
 * a resume of one cell records ceilings for all. None when this invocation loads no cell.
 */
function generatorPlan(
  plan: RunPlan,
  options: RunnerOptions,
  log: (line: string) => void,
  signal: AbortSignal,
): SweepLoadPlan | undefined {
  const { profile } = plan;
  const loads = (c: Cell) => c.spec.workload !== "startup" && plan.availability.get(c.spec.platform)?.ok === true;
  if (!plan.todo.some(loads)) return undefined;
  const loadCells = plan.cells.filter(loads);
  return {
    choice: options.generatorPreference ?? profile.generator ?? "auto",
    crossCheck: options.crossCheck ? { generator: options.crossCheck } : (profile.crossCheck ?? null),
    load: profile.load,
    workloads: [...new Set(loadCells.map((c) => c.spec.workload))],
    appCpus: [...new Set(loadCells.map((c) => c.spec.cpus))],
    ...(options.loadHost
      ? { remote: { loadHost: options.loadHost, bindAddress: options.bindAddress ?? "127.0.0.1" } }
      : {}),
    outDir: join(plan.runDir, CALIBRATION_DIR),
    signal,
    log,
  };
}

/** The plan's count line with the estimate (the ceilings' measurement, then the cells), announced to `estimate`. */
export function announceEstimate(
  plan: RunPlan,
  estimate: SweepEstimate,
  calibrationS: number,
  log: (line: string) => void,
  note?: string,
): void {
  const floor = plan.profile.floor;
  // A floor search's cells are its probes: priced as if each served (the count a bisection takes).
  const toRun = floor ? floorSchedule(plan.todo, floor, plan.earlier).pending([]) : plan.todo;
  const runnable = toRun.filter((c) => plan.availability.get(c.spec.platform)?.ok);
  const cellsS = estimate.seconds(runnable);
  const totalS = calibrationS + cellsS;
  const parts =
    calibrationS > 0 ? ` (generator ceilings ${formatDuration(calibrationS)}, cells ${formatDuration(cellsS)})` : "";
  const counts = floor
    ? `${plan.todo.length} floor searches: ${plan.earlier.length} probes already recorded, about ${runnable.length} to run, ` +
      `${toRun.length - runnable.length} skipped`
    : `${plan.cells.length} cells: ${plan.earlier.length} already recorded, ${runnable.length} to run, ` +
      `${plan.todo.length - runnable.length} skipped`;
  log(`  ${counts}; estimated ${formatDuration(totalS)}${parts}${note ? `, ${note}` : ""}`);
  estimate.announce(totalS);
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
  plan: RunPlan,
  artifactOf: (runtime: Runtime, kind: string) => string | undefined,
  options: RunnerOptions,
  estimate: SweepEstimate,
  log: (line: string) => void,
): Promise<void> {
  const { availability, profile } = plan;
  const workRoot = mkdtempSync(join(tmpdir(), "edgelab-trial-"));
  try {
    for (const [name, found] of availability) {
      const cell = plan.todo.find((c) => c.spec.platform === name);
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
          runId: plan.runId,
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
        found.facts.trialInstanceS = Math.round(outcome.instanceS * 1000) / 1000;
        estimate.measuredInstance(name, outcome.instanceS);
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
