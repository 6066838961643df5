import type { MeasuredValue } from "./measures";
import type { Summary } from "./stats";

/** Readable numbers: thousands separators for large values, three significant digits for small ones. */
export function num(value: number | null | undefined, digits?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (digits !== undefined)
    return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 10) return value.toFixed(2);
  if (abs === 0) return "0";
  return value.toPrecision(3);
}

/** "1,234 [1,200–1,260]", or the bare mean when one repetition gives no interval (n is in its own column). */
export function meanCi(s: Summary | null | undefined): string {
  if (!s) return "–";
  if (s.ciLow === null || s.ciHigh === null) return num(s.mean);
  return `${num(s.mean)} [${num(s.ciLow)}–${num(s.ciHigh)}]`;
}

export function measuredText(m: MeasuredValue | undefined): string {
  if (!m) return "not measured";
  const ci = m.ciLow !== null && m.ciHigh !== null ? ` [${num(m.ciLow)}–${num(m.ciHigh)}]` : "";
  return `${num(m.value)}${ci}`;
}

export function ratioText(r: number | null): string {
  return r === null || !Number.isFinite(r) ? "–" : `${r.toFixed(2)}×`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Markdown table cell: pipes and newlines would break the row. */
export function mdCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}
