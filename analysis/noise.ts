/**
 * The report's noise: how quiet the machine was (one line for the first screen), and a panel with
 * every measured cell in the order it ran, its interference (others' CPU, on the SUT's cores, steal),
 * whether it was flagged disturbed or set aside as an outlier, and each scenario's stopping rule.
 */
import { ESTIMATOR, OUTLIER_RULE } from "../core/robust";
import { DISTURBED_FOREIGN_CORES, DISTURBED_STEAL_SHARE } from "../lab/runner/interference";
import type { Analysis } from "./analyze";
import type { Scenario } from "./scenarios";
import type { Table } from "./table";

/** What the "how to read" box says of noise: the estimator, the outlier, disturbance and stopping rules. */
export const NOISE_METHOD = `<p><strong>Noise.</strong> Estimator: ${ESTIMATOR}. Outlier rule: a repetition ${OUTLIER_RULE}
is set aside and marked. A cell is <em>disturbed</em> when, while it measured, processes that are not the run's used ${DISTURBED_FOREIGN_CORES}
of a core or more on average, or the hypervisor stole ${DISTURBED_STEAL_SHARE * 100}% or more of the CPU (from /proc); it is left out like
other flagged cells. Where intervals overlap and a repetition was disturbed or set aside, the verdict is "undetermined" with that
repetition and its figure, never "no significant difference". Cells run in an order shuffled from a seed the manifest records
(<code>--seed</code> replays it). With adaptive repetitions, a scenario gets more until its interval is within the profile's share
of its estimate ("interval"), its maximum count ("max"), the time budget ("budget") or only failures ("no-ok").</p>`;

const cellsOf = (a: Analysis) =>
  a.scenarios
    .flatMap((s) => s.cells.map((c) => ({ scenario: s, loaded: c })))
    .filter(({ loaded }) => loaded.cell.status !== "skipped")
    .sort((x, y) => x.loaded.cell.startedAt.localeCompare(y.loaded.cell.startedAt));

/** One line: how quiet the machine was over the run's measured cells. */
export function quietLine(a: Analysis): string {
  const cells = cellsOf(a).filter(({ loaded }) => loaded.cell.interference);
  if (cells.length === 0) return "Interference was not measured in this run (made before the lab measured it).";
  const foreign = cells.reduce((sum, { loaded }) => sum + (loaded.cell.interference?.foreignCpuS ?? 0), 0);
  const window = cells.reduce((sum, { loaded }) => sum + (loaded.cell.interference?.windowS ?? 0), 0);
  const steal = cells.reduce((sum, { loaded }) => sum + (loaded.cell.interference?.stealS ?? 0), 0);
  const disturbed = cells.filter(({ loaded }) => loaded.cell.flags.includes("disturbed")).length;
  const quiet = disturbed === 0 ? "The machine was quiet" : "The machine was not quiet";
  return (
    `${quiet}: ${disturbed} of ${cells.length} measured cells disturbed; others used ${(foreign / window).toFixed(2)} ` +
    `cores on average while cells measured, and steal took ${steal.toFixed(1)} CPU s.`
  );
}

function marks(s: Scenario, id: string): string {
  const outlier = s.outliers.find((o) => o.cell.cell.id === id);
  return outlier ? outlier.rule : "";
}

/** Every measured cell in the order it ran, with its interference. */
export function noiseTable(a: Analysis): Table {
  return {
    headers: [
      "Started",
      "Cell",
      "Others' CPU (cores)",
      "On SUT's cores (s)",
      "Steal (%)",
      "Flags",
      "Set aside",
      "Top others",
    ],
    numeric: [2, 3, 4],
    keyColumn: false,
    rows: cellsOf(a).map(({ scenario, loaded }) => {
      const { cell } = loaded;
      const i = cell.interference;
      return {
        cells: [
          cell.startedAt.slice(11, 19),
          cell.name,
          i ? i.foreignCores.toFixed(2) : "not measured",
          i ? i.foreignOnSutCoresS.toFixed(2) : "",
          i ? (i.stealShare * 100).toFixed(1) : "",
          cell.flags.join(", "),
          marks(scenario, cell.id),
          i
            ? i.top
                .slice(0, 3)
                .map((t) => `${t.comm} (${t.pid}) ${t.cpuS} s`)
                .join("; ")
            : "",
        ],
        ...(cell.flags.includes("disturbed") ? { className: "flagged" } : {}),
      };
    }),
  };
}

/** Each run's seed and its scenarios' stopping rules, as one paragraph. */
export function scheduleNote(a: Analysis): string {
  return a.input.runs
    .map(({ manifest }) => {
      const s = manifest.schedule;
      if (!s) return `${manifest.runId}: matrix order (no seed recorded).`;
      const rules = new Map<string, number>();
      for (const stop of s.stops ?? []) rules.set(stop.rule, (rules.get(stop.rule) ?? 0) + 1);
      const said = [...rules].map(([rule, n]) => `${n} ${rule}`).join(", ");
      return `${manifest.runId}: interleaved order from seed ${s.seed}${said ? `; scenarios stopped by ${said}` : ""}.`;
    })
    .join(" ");
}
