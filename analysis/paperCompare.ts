import type { PaperMeasurement, PaperReference } from "../core/paper/reference";
import { type MeasuredValue, type Measures, paperQuery } from "./measures";

/** One published number beside what this run measured for the same cell. */
export interface PaperComparisonRow {
  paper: PaperMeasurement;
  measured: MeasuredValue | undefined;
  /** measured / paper; null when not measured or the paper's value is 0. */
  ratio: number | null;
}

export function comparePaper(reference: PaperReference, measures: Measures): PaperComparisonRow[] {
  return reference.measurements.map((paper) => {
    const measured = measures(paperQuery(paper));
    const ratio = measured && paper.value !== 0 ? measured.value / paper.value : null;
    return { paper, measured, ratio };
  });
}

export const UNITS: Record<string, string> = {
  binarySizeMB: "MB",
  imageSizeMB: "MB",
  ttrMedianMs: "ms",
  throughputRps: "req/s",
  latencyMeanMs: "ms",
  latencyStddevMs: "ms",
  timeouts: "requests",
  dropPercent: "%",
};

/** Where a measurement sits in the paper's design, e.g. "io, 1 CPU, 256 MB". */
export function paperCellLabel(m: PaperMeasurement): string {
  const parts: string[] = [m.runtime, m.platform];
  if (m.workload !== "none") parts.push(m.workload);
  if (m.cpus !== undefined) parts.push(`${m.cpus} CPU`);
  if (m.memoryMB !== undefined) parts.push(`${m.memoryMB} MB`);
  return parts.join(", ");
}
