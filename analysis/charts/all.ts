import type { PaperReference } from "../../core/paper/reference";
import type { ArtifactSize } from "../artifactSizes";
import { type Scenario, workloadRank } from "../scenarios";
import { richFigure } from "./rich";
import { imageSizeFigure } from "./sizes";
import type { Figure } from "./style";
import { memorySweepFigure } from "./sweep";
import { ttrFigure } from "./ttr";

/** The paper's numbering: I/O then compute, Go then Node.js, throughput then latency. */
const SWEEP_NUMBERS: Record<string, [number, number]> = {
  "go|io": [5, 6],
  "node|io": [7, 8],
  "go|compute": [10, 11],
  "node|compute": [12, 13],
};
const RICH_NUMBERS: Record<string, number> = { io: 4, compute: 9 };
const figNo = (n: number) => String(n).padStart(2, "0");

/** Every figure the data supports, in the paper's order; what the data lacks is not drawn. */
export function allFigures(
  all: readonly Scenario[],
  sizes: readonly ArtifactSize[],
  reference: PaperReference,
): Figure[] {
  // A scenario whose every cell was skipped was never attempted: it gets no slot, no legend entry
  // and no paper diamond (the tables still list it).
  const scenarios = all.filter((s) => s.counts.skipped < s.cells.length);
  const figures: (Figure | null)[] = [imageSizeFigure(sizes, reference), ttrFigure(scenarios, reference)];
  const load = scenarios.filter((s) => s.spec.workload !== "startup");
  const maxCpus = Math.max(0, ...load.map((s) => s.spec.cpus));
  const workloads = [...new Set(load.map((s) => s.spec.workload))].sort((a, b) => workloadRank(a) - workloadRank(b));
  for (const workload of workloads) {
    const richNo = RICH_NUMBERS[workload] ?? 0;
    if (maxCpus > 1) {
      const rich = load.filter((s) => s.spec.workload === workload && s.spec.cpus === maxCpus);
      const top = Math.max(0, ...rich.map((s) => s.spec.memoryMB));
      figures.push(
        richFigure(
          `fig${figNo(richNo)}-rich-${workload}`,
          `Fig. ${richNo}`,
          rich.filter((s) => s.spec.memoryMB === top),
          reference,
        ),
      );
    }
    for (const runtime of [...new Set(load.map((s) => s.spec.runtime))].sort()) {
      const [tNo, lNo] = SWEEP_NUMBERS[`${runtime}|${workload}`] ?? [0, 0];
      const byCpus = new Map<number, Scenario[]>();
      for (const s of load) {
        if (s.spec.runtime !== runtime || s.spec.workload !== workload) continue;
        byCpus.set(s.spec.cpus, [...(byCpus.get(s.spec.cpus) ?? []), s]);
      }
      for (const [cpus, group] of [...byCpus].sort((a, b) => a[0] - b[0])) {
        if (new Set(group.map((s) => s.spec.memoryMB)).size < 2) continue; // one level is no sweep (the rich figure shows it)
        const suffix = cpus === 1 ? "" : `-${cpus}cpu`;
        figures.push(
          memorySweepFigure(
            `fig${figNo(tNo)}-${runtime}-${workload}-throughput${suffix}`,
            `Fig. ${tNo}`,
            group,
            "throughputRps",
            reference,
          ),
        );
        figures.push(
          memorySweepFigure(
            `fig${figNo(lNo)}-${runtime}-${workload}-latency${suffix}`,
            `Fig. ${lNo}`,
            group,
            "latencyMeanMs",
            reference,
          ),
        );
      }
    }
  }
  return figures.filter((f): f is Figure => f !== null).sort((a, b) => a.id.localeCompare(b.id));
}
