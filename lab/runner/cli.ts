import { resolve } from "node:path";
import {
  folderFlag,
  ipv4Flag,
  parseFlags,
  parseList,
  positiveInt,
  runMain,
  shown,
  UsageError,
} from "../../core/cli/args";
import { DEFAULT_REVISION_ID } from "../../core/config/revision";
import { GENERATOR_CHOICES, GENERATORS, type GeneratorChoice, type GeneratorName } from "../../core/load/types";
import type { CellWorkload } from "../../core/matrix";
import { repoRoot } from "../../core/paths";
import { checkRunId } from "../../core/results/runId";
import { workloadNames } from "../../workloads/endpoints";
import { runtimeNames } from "../../workloads/runtimes/registry";
import { loadRevision } from "../config/revision";
import { platformNames } from "../platforms/registry";
import { type ReportAfterRun, reportWithAnalysis } from "./afterRun";
import { isQuery, QUERY_USAGE, runQuery } from "./queries";
import { runLab } from "./runner";

/** The revision's profile `--floor` runs. */
const FLOOR_PROFILE = "floor";

const usage = `usage: npm run lab -- [options]
       npm run lab -- QUERY [flags]   (see below)
  --profile NAME        a profile of the revision (default quick; the paper's design is "paper")
  --floor               the memory floor search: the same as --profile floor
  --revision ID|FILE    revision file (default ${DEFAULT_REVISION_ID})
  --runtime LIST        ${runtimeNames().join(",")}
  --platform LIST       ${platformNames().join(",")}
  --workload LIST       ${[...workloadNames(), "startup"].join(",")}
  --memory LIST         memory levels in MB to keep, e.g. 256,128
  --generator NAME      ${GENERATOR_CHOICES.join(", ")} (default: the profile's, else auto =
                        the highest ceiling measured here before the sweep)
  --cross-check NAME    also load every load cell with this generator (${GENERATORS.join(", ")}), right
                        after the first, and compare (default: the profile's crossCheck cells)
  --results DIR         results root (default results/)
  --reports DIR         where the run's report goes, as DIR/<runId> (default reports/)
  --run-id ID           name the new run (default: time, profile and a random suffix)
  --seed N              the seed of the cells' shuffled order (default: a fresh one; each run's
                        manifest records its seed, so --seed replays a run's order)
  --resume RUN_ID       finish an interrupted run: cells without a result run, and lab-error
                        cells run again (their records kept beside as cells/<id>.json.lab-error)
  --keep-lab-errors     with --resume: leave lab-error cells as they are
  --dry-run             print the plan and stop
  --no-report           do not make the report (reports/<runId>) after the run
two-host lab (what the Pulumi program runs on the system under test):
  --plan-only           create the run (manifest, artifacts) and run no cell
  --cell LIST           with --resume: run only these cells (ids or names)
  --bind-address ADDR   publish instance ports on ADDR (default 127.0.0.1)
  --load-ssh TARGET     run k6 on this host over ssh (user@address) instead of here
  --load-lab-dir DIR    the lab's folder on that host (default /opt/edgelab)
  --ssh-identity FILE   ssh key for the load generator
  --origin TEXT         recorded in the manifest (default local)
  --pair N              with --resume: the host pair running it, recorded in each result
${QUERY_USAGE}`;

function options(argv: string[]) {
  return parseFlags(
    {
      profile: { type: "string" },
      floor: { type: "boolean", default: false },
      revision: { type: "string" },
      runtime: { type: "string" },
      platform: { type: "string" },
      workload: { type: "string" },
      memory: { type: "string" },
      generator: { type: "string" },
      "cross-check": { type: "string" },
      results: { type: "string", default: "results" },
      reports: { type: "string", default: "reports" },
      "run-id": { type: "string" },
      seed: { type: "string" },
      resume: { type: "string" },
      "keep-lab-errors": { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      "no-report": { type: "boolean", default: false },
      "plan-only": { type: "boolean", default: false },
      cell: { type: "string" },
      "bind-address": { type: "string" },
      "load-ssh": { type: "string" },
      "load-lab-dir": { type: "string", default: "/opt/edgelab" },
      "ssh-identity": { type: "string" },
      origin: { type: "string" },
      pair: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    usage,
    argv,
  );
}

function memoryList(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  return raw.split(",").map((value) => {
    const n = Number(value.trim());
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(
        `--memory ${JSON.stringify(raw)}: ${JSON.stringify(value)} is not allowed; use whole MB like 256,128`,
      );
    }
    return n;
  });
}

/** `afterRun` makes the report of a finished run (the analysis's, unless a test hands its own). */
export async function main(
  argv: string[] = process.argv.slice(2),
  afterRun: ReportAfterRun = reportWithAnalysis,
): Promise<void> {
  const [first, ...rest] = argv;
  if (isQuery(first)) {
    runQuery(first, rest, (line) => process.stdout.write(`${line}\n`));
    return;
  }
  const values = options(argv);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  let generator: GeneratorChoice | null = null;
  if (values.generator !== undefined) {
    if (!(GENERATOR_CHOICES as readonly string[]).includes(values.generator)) {
      throw new UsageError(
        `--generator ${JSON.stringify(values.generator)} is not allowed: use ${GENERATOR_CHOICES.join(", ")}`,
      );
    }
    generator = values.generator as GeneratorChoice;
  }
  const crossCheck = values["cross-check"];
  if (crossCheck !== undefined && !(GENERATORS as readonly string[]).includes(crossCheck)) {
    throw new UsageError(`--cross-check ${JSON.stringify(crossCheck)} is not allowed: use ${GENERATORS.join(", ")}`);
  }
  if (values.cell !== undefined && values.resume === undefined) {
    throw new UsageError("--cell picks cells of an existing run: use it with --resume RUN_ID");
  }
  if (values["keep-lab-errors"] && values.resume === undefined) {
    throw new UsageError("--keep-lab-errors keeps a run's recorded lab-error cells: use it with --resume RUN_ID");
  }
  if (values.pair !== undefined && values.resume === undefined) {
    throw new UsageError("--pair names the host pair resuming a run: use it with --resume RUN_ID");
  }
  const pair = values.pair === undefined ? undefined : positiveInt("pair", values.pair);
  const seed = values.seed === undefined ? undefined : positiveInt("seed", values.seed);
  const bindAddress =
    values["bind-address"] === undefined ? undefined : ipv4Flag("bind-address", values["bind-address"]);
  const loadSsh = values["load-ssh"];
  // Neither part may start with '-': ssh would read "-oProxyCommand=..." as an option.
  if (loadSsh !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9._-]*@[A-Za-z0-9:][A-Za-z0-9.:_-]*$/.test(loadSsh)) {
    throw new UsageError(`--load-ssh ${shown(loadSsh)} is not allowed: use user@host`);
  }
  // Before anything is built or checked: a run id is a folder name under --results, never a path.
  if (values["run-id"] !== undefined) checkRunId("--run-id", values["run-id"]);
  if (values.resume !== undefined) checkRunId("--resume", values.resume);
  if (values.cell?.split(",").some((c) => c.trim() === "")) {
    throw new UsageError(`--cell ${shown(values.cell)}: an empty cell name; use ids or names separated by commas`);
  }
  folderFlag("results", values.results, resolve(repoRoot, values.results));
  if (values.floor && values.profile !== undefined && values.profile !== FLOOR_PROFILE) {
    throw new UsageError(
      `--floor runs the profile ${FLOOR_PROFILE}: drop --profile ${shown(values.profile)} or --floor`,
    );
  }
  if (values.floor && values.resume !== undefined) {
    throw new UsageError("--resume takes the run's own settings: drop --floor");
  }
  const reportsRoot = folderFlag("reports", values.reports, resolve(repoRoot, values.reports));
  // A resumed run keeps its generators and their ceilings from its manifest, like its selection.
  const selectionFlags = [
    "profile",
    "revision",
    "runtime",
    "platform",
    "workload",
    "memory",
    "run-id",
    "seed",
    "generator",
    "cross-check",
  ] as const;
  if (values.resume !== undefined) {
    const clash = selectionFlags.filter((flag) => values[flag] !== undefined);
    if (clash.length > 0) {
      throw new UsageError(`--resume takes the run's own settings: drop --${clash.join(", --")}`);
    }
  }
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    process.stderr.write(`\n${signal}: stopping the current cell and removing its instance ...\n`);
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.on("SIGHUP", stop);

  const outcome = await runLab({
    run:
      values.resume !== undefined
        ? { kind: "resume", runId: values.resume, keepLabErrors: values["keep-lab-errors"] }
        : {
            kind: "new",
            revision: loadRevision(values.revision ?? DEFAULT_REVISION_ID),
            profileName: values.floor ? FLOOR_PROFILE : (values.profile ?? "quick"),
            selection: {
              runtimes: values.runtime ? parseList("runtime", values.runtime, runtimeNames()) : undefined,
              platforms: values.platform ? parseList("platform", values.platform, platformNames()) : undefined,
              workloads: values.workload
                ? parseList<CellWorkload>("workload", values.workload, [...workloadNames(), "startup"])
                : undefined,
              memoryMB: memoryList(values.memory),
            },
            ...(values["run-id"] ? { runId: values["run-id"] } : {}),
          },
    resultsRoot: resolve(repoRoot, values.results),
    generatorPreference: generator,
    ...(crossCheck ? { crossCheck: crossCheck as GeneratorName } : {}),
    dryRun: values["dry-run"],
    planOnly: values["plan-only"],
    ...(values.cell ? { onlyCells: values.cell.split(",").map((c) => c.trim()) } : {}),
    ...(bindAddress ? { bindAddress } : {}),
    ...(loadSsh
      ? {
          loadHost: {
            sshTarget: loadSsh,
            labDir: values["load-lab-dir"],
            ...(values["ssh-identity"] ? { sshOptions: ["-i", values["ssh-identity"]] } : {}),
          },
        }
      : {}),
    ...(values.origin ? { origin: values.origin } : {}),
    ...(pair !== undefined ? { pair } : {}),
    ...(seed !== undefined ? { seed } : {}),
    signal: controller.signal,
  });
  if (outcome.interrupted) process.exit(130);
  if (outcome.stopped) process.exit(1); // already said why, with the resume command
  if (!values["dry-run"] && !values["plan-only"] && !values["no-report"]) {
    // Loaded only here, and never fatal: a report problem prints one line and the run's exit code stands.
    const report = await afterRun(outcome.runDir, reportsRoot).catch((error: unknown) => ({
      ok: false,
      lines: [`report not made: ${String(error).split("\n")[0]}`],
    }));
    (report.ok ? process.stdout : process.stderr).write(`${report.lines.join("\n")}\n`);
  }
}

if (require.main === module) runMain(() => main());
