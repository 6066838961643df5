/**
 * A report table, built once (analysis/tables.ts) and drawn twice: as HTML for report.html and as
 * Markdown for report.md, so the two reports can never list different columns or numbers.
 */
import { escapeHtml, mdCell } from "./format";

/** One cell: its plain text (Markdown, and HTML unless `html` is given) and an optional richer HTML form. */
export interface TableCell {
  text: string;
  /** Already-escaped HTML (badges, details, links); absent: the escaped text. */
  html?: string;
}

export type CellValue = string | TableCell;

export interface TableRow {
  cells: readonly CellValue[];
  /** HTML row class (failed, flagged, skipped, significant). */
  className?: string;
}

export interface Table {
  headers: readonly string[];
  rows: readonly TableRow[];
  /** Column indexes that hold numbers: right-aligned. */
  numeric?: readonly number[];
  /** HTML table class. */
  className?: string;
  /** The first column names the row (a scenario, a cell): kept on one line. */
  keyColumn?: boolean;
}

const textOf = (cell: CellValue) => (typeof cell === "string" ? cell : cell.text);
const htmlOf = (cell: CellValue) =>
  typeof cell === "string" ? escapeHtml(cell) : (cell.html ?? escapeHtml(cell.text));

/** A rich cell: `text` for Markdown, `html` for the HTML report. */
export function rich(text: string, html: string): TableCell {
  return { text, html };
}

export function htmlTable(table: Table): string {
  const numeric = new Set(table.numeric ?? []);
  const n = (i: number) => (numeric.has(i) ? ' class="n"' : "");
  const td = (i: number) => (table.keyColumn && i === 0 ? ' class="key"' : n(i));
  const head = table.headers.map((h, i) => `<th${n(i)}>${escapeHtml(h)}</th>`).join("");
  const body = table.rows
    .map((row) => {
      const cls = row.className ? ` class="${escapeHtml(row.className)}"` : "";
      return `<tr${cls}>${row.cells.map((cell, i) => `<td${td(i)}>${htmlOf(cell)}</td>`).join("")}</tr>`;
    })
    .join("\n");
  const cls = table.className ? ` class="${escapeHtml(table.className)}"` : "";
  return `<table${cls}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export function markdownTable(table: Table): string {
  const numeric = new Set(table.numeric ?? []);
  const line = (cells: readonly string[]) => `| ${cells.map(mdCell).join(" | ")} |`;
  return [
    line(table.headers),
    line(table.headers.map((_, i) => (numeric.has(i) ? "---:" : "---"))),
    ...table.rows.map((row) => line(row.cells.map(textOf))),
  ].join("\n");
}
