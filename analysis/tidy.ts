import type { CellResult } from "../core/results/schema";
import { plainText } from "../core/text";
import type { LoadedCell } from "./read";
import type { Scenario } from "./scenarios";

export type TidyValue = string | number | boolean | null;
export type TidyRow = Record<string, TidyValue>;

const camel = (prefix: string, key: string) => (prefix ? `${prefix}${key[0]?.toUpperCase()}${key.slice(1)}` : key);

/**
 * Result fields that hold an object or null (a startup cell has no load). A null one adds no
 * column: the union over all rows brings the object's own columns, which stay empty in that row.
 */
const OBJECT_FIELDS = new Set([
  "specLoad",
  "specTtr",
  "ttr",
  "load",
  "generator",
  "footprint",
  "appInfo",
  "limits",
  "exit",
  "guest",
  "interference",
]);

/** Nested objects become camelCase paths (load.latencyMs.p99 -> loadLatencyMsP99); arrays are joined with ';'. */
function flatten(value: unknown, prefix: string, row: TidyRow): void {
  if (value === null || value === undefined) {
    if (prefix && !OBJECT_FIELDS.has(prefix)) row[prefix] = null;
    return;
  }
  if (Array.isArray(value)) {
    row[prefix] = value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(";");
    return;
  }
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, camel(prefix, k), row);
    return;
  }
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") row[prefix] = value;
}

/**
 * One row per cell repetition. The spec's scalar fields are plain columns (runtime, memoryMB,
 * repetition, ...); its nested settings keep a `spec` prefix (specLoadVus, specKnobsCpuMode) so
 * they never clash with the measured fields of the same name (loadVus is what the generator ran).
 */
export function tidyRow(loaded: LoadedCell, scenarioKey: string): TidyRow {
  const { cell } = loaded;
  const row: TidyRow = { runId: loaded.runId, cellId: cell.id, name: cell.name, scenario: scenarioKey };
  const { knobs, load, ttr, ...scalars } = cell.spec;
  for (const [k, v] of Object.entries(scalars)) row[k] = v;
  flatten({ knobs, load, ttr }, "spec", row);
  const { id: _id, name: _name, spec: _spec, schemaVersion: _v, ...rest } = cell as CellResult;
  row.flagged = cell.flags.length > 0;
  flatten(rest, "", row);
  return row;
}

export function tidyRows(scenarios: readonly Scenario[]): TidyRow[] {
  const rows: TidyRow[] = [];
  for (const s of scenarios) for (const c of s.cells) rows.push(tidyRow(c, s.key));
  return rows;
}

/**
 * Column order: identity and spec first, then the result fields in schema order. The fullest
 * row sets the order (a load cell has every group), the others add what it lacks at the end.
 */
export function tidyColumns(rows: readonly TidyRow[]): string[] {
  const columns: string[] = [];
  const seen = new Set<string>();
  const fullestFirst = [...rows].sort((a, b) => Object.keys(b).length - Object.keys(a).length);
  for (const row of fullestFirst) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return columns;
}

function csvField(value: TidyValue | undefined): string {
  if (value === null || value === undefined) return "";
  // A reason may quote a guest console: no terminal control sequence goes into a CSV (core/text.ts).
  const text = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : plainText(String(value));
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV; a missing value is an empty field (read.csv and pandas read it as NA/NaN). */
export function toCsv(rows: readonly TidyRow[], columns = tidyColumns(rows)): string {
  const lines = [columns.map((c) => csvField(c)).join(",")];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(","));
  return `${lines.join("\n")}\n`;
}

/** The same spec fields the scenario key hashes, for the per-scenario CSV. */
export function scenarioColumns(s: Scenario): TidyRow {
  const row: TidyRow = { scenario: s.key, series: s.series };
  const { knobs, load, ttr, ...scalars } = s.spec;
  for (const [k, v] of Object.entries(scalars)) row[k] = v;
  flatten({ knobs, load, ttr }, "spec", row);
  return row;
}
