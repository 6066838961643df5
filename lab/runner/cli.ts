import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseList, runMain, UsageError } from "../cli/args";
import { DEFAULT_REVISION_ID, loadRevision } from "../config/revision";
import { GENERATORS, type GeneratorName } from "../load/types";
import type { CellWorkload } from "../matrix";
import { RUNTIMES, WORKLOADS } from "../model";
import { repoRoot } from "../paths";
import { PLATFORMS } from "../platforms/types";
import { runLab } from "./runner";

const usage = `usage: npm run lab -- [options]
  --profile NAME        a profile of the revision (default quick; the paper's design is "paper")
  --revision ID|FILE    revision file (default ${DEFAULT_REVISION_ID})
  --runtime LIST        ${RUNTIMES.join(",")}
  --platform LIST       ${PLATFORMS.join(",")}
  --workload LIST       ${[...WORKLOADS, "startup"].join(",")}
  --memory LIST         memory levels in MB to keep, e.g. 256,128
  --generator NAME      ${GENERATORS.join(" or ")} (default: k6 when installed)
  --results DIR         results root (default results/)
  --run-id ID           name the new run (default: time, profile and a random suffix)
  --resume RUN_ID       finish an interrupted run: only cells without a result run
  --dry-run             print the plan and stop`;

function options() {
  try {
    return parseArgs({
      options: {
        profile: { type: "string" },
        revision: { type: "string" },
        runtime: { type: "string" },
        platform: { type: "string" },
        workload: { type: "string" },
        memory: { type: "string" },
        generator: { type: "string" },
        results: { type: "string", default: "results" },
        "run-id": { type: "string" },
        resume: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
}

function memoryList(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  return raw.split(",").map((value) => {
    const n = Number(value.trim());
    if (!Number.isInteger(n) || n < 1) {
      throw new UsageError(
        `--memory ${JSON.stringify(raw)}: ${JSON.stringify(value)} is not allowed; use whole MB like 256,128`,
      );
    }
    return n;
  });
}

runMain(async () => {
  const values = options();
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  let generator: GeneratorName | null = null;
  if (values.generator !== undefined) {
    if (!(GENERATORS as readonly string[]).includes(values.generator)) {
      throw new UsageError(
        `--generator ${JSON.stringify(values.generator)} is not allowed: use ${GENERATORS.join(" or ")}`,
      );
    }
    generator = values.generator as GeneratorName;
  }
  const selectionFlags = ["profile", "revision", "runtime", "platform", "workload", "memory", "run-id"] as const;
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
        ? { kind: "resume", runId: values.resume }
        : {
            kind: "new",
            revision: loadRevision(values.revision ?? DEFAULT_REVISION_ID),
            profileName: values.profile ?? "quick",
            selection: {
              runtimes: values.runtime ? parseList("runtime", values.runtime, RUNTIMES) : undefined,
              platforms: values.platform ? parseList("platform", values.platform, PLATFORMS) : undefined,
              workloads: values.workload
                ? parseList<CellWorkload>("workload", values.workload, [...WORKLOADS, "startup"])
                : undefined,
              memoryMB: memoryList(values.memory),
            },
            ...(values["run-id"] ? { runId: values["run-id"] } : {}),
          },
    resultsRoot: resolve(repoRoot, values.results),
    generatorPreference: generator,
    dryRun: values["dry-run"],
    signal: controller.signal,
  });
  if (outcome.interrupted) process.exit(130);
});
