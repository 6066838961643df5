/** The runner's console: durations, one line per finished cell and the summary table at the end. */
import type { CellResult } from "../../core/results/schema";

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Ok throughput first, failures beside it: an OOM-killed app's refused requests are not throughput. */
export function loadFigures(load: NonNullable<CellResult["load"]>): string {
  const failed = load.failedRequests > 0 ? ` (${load.failedRequests} failed)` : "";
  return `${Math.round(load.okThroughputRps)} ok req/s${failed}`;
}

function figures(result: CellResult): string {
  if (result.status === "skipped") return result.reason ?? "";
  const parts: string[] = [];
  if (result.load) {
    parts.push(`${loadFigures(result.load)}${result.generator?.name ? ` [${result.generator.name}]` : ""}`);
    if (result.load.latencyMs.p99 !== null) parts.push(`p99 ${result.load.latencyMs.p99.toFixed(2)} ms`);
  }
  if (result.crossCheck) {
    const gap = result.crossCheck.gap === null ? "" : `, ${Math.round(100 * result.crossCheck.gap)}% apart`;
    parts.push(`cross-check ${loadFigures(result.crossCheck.load)} [${result.crossCheck.load.generator}${gap}]`);
  }
  if (result.ttr?.medianMs !== null && result.ttr?.medianMs !== undefined) {
    parts.push(
      `TTR ${result.ttr.medianMs.toFixed(1)} ms${result.ttr.launches > 1 ? ` (median of ${result.ttr.samplesMs.length})` : ""}`,
    );
  }
  if (result.footprint) parts.push(`peak RSS ${(result.footprint.rssPeakBytes / 1048576).toFixed(1)} MB`);
  if (result.status !== "ok" && result.reason) parts.push(result.reason);
  if (result.flags.length > 0) parts.push(`[${result.flags.join(", ")}]`);
  return parts.join(", ");
}

export function progressLine(done: number, total: number, result: CellResult, remainingS: number): string {
  return `[${done}/${total}] ${result.name}: ${result.status} ${figures(result)} (${result.wallS.toFixed(1)} s) ETA ${formatDuration(remainingS)}`;
}

/** The line said when the projected total moved more than a quarter from the one last said. */
export function revisedLine(revised: { totalS: number; wasS: number; leftS: number }): string {
  const direction = revised.totalS > revised.wasS ? "longer" : "shorter";
  return (
    `  estimate revised: ${formatDuration(revised.totalS)} in all, ${formatDuration(revised.leftS)} left ` +
    `(was ${formatDuration(revised.wasS)}: the cells run ${direction} than estimated)`
  );
}

/** The end-of-run table: one row per cell. */
export function summaryTable(results: readonly CellResult[]): string {
  const header = [
    "cell",
    "status",
    "ok req/s",
    "failed",
    "gen",
    "cross-check",
    "p99 ms",
    "TTR ms",
    "peak RSS MB",
    "flags",
  ];
  const rows = results.map((r) => [
    r.name,
    r.status,
    r.load ? String(Math.round(r.load.okThroughputRps)) : "-",
    r.load ? String(r.load.failedRequests) : "-",
    r.load?.generator ?? "-",
    r.crossCheck
      ? `${r.crossCheck.load.generator} ${Math.round(r.crossCheck.load.okThroughputRps)}${r.crossCheck.disagrees ? " (disagrees)" : ""}`
      : "-",
    r.load?.latencyMs.p99 != null ? r.load.latencyMs.p99.toFixed(2) : "-",
    r.ttr?.medianMs != null ? r.ttr.medianMs.toFixed(1) : "-",
    r.footprint ? (r.footprint.rssPeakBytes / 1048576).toFixed(1) : "-",
    r.flags.join(",") || (r.status === "skipped" ? (r.reason ?? "") : ""),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const tally = [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
  return [line(header), ...rows.map(line), `${results.length} cells: ${tally}`].join("\n");
}
