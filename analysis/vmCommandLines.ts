/**
 * The VM rows side by side: each VM platform's exact QEMU command line, as its trial instance ran
 * it (the run manifest's platform facts, `qemuCommandLine`), option by option against the first,
 * so a reader sees what differs between the VM rows (for the lab's own VMM: the kernel, the disk
 * image and what the kernel needs). And what each guest kernel itself took of its memory (MemTotal
 * and the app's peak RSS, where the guest reports them). Self-contained: the report calls
 * vmRowsMarkdown / vmRowsHtml and nothing else here.
 */
import type { CellResult, Manifest } from "../core/results/schema";
import { escapeHtml, mdCell } from "./format";

/** One QEMU option and its value (null for a flag such as -nographic). */
export interface QemuOption {
  option: string;
  value: string | null;
}

/** A word that starts an option: a dash and a letter (a value such as "-1" is no option). */
const isOption = (word: string) => /^-[A-Za-z]/.test(word);

/** An argv (program first) as its options, in order. */
export function qemuOptions(argv: readonly string[]): QemuOption[] {
  const options: QemuOption[] = [];
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i] as string;
    if (!isOption(word)) {
      options.push({ option: "", value: word });
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !isOption(next)) {
      options.push({ option: word, value: next });
      i++;
    } else {
      options.push({ option: word, value: null });
    }
  }
  return options;
}

/**
 * The parts of an option's value that name one instance rather than the platform (its name, work
 * folder, host port, MAC) and where its artifact lies: replaced by placeholders, so two instances
 * of one platform give the same line and two platforms differ only where their VMs do.
 */
export function normaliseValue(option: string, value: string): string {
  let v = value;
  if (option === "-name") v = v.replace(/\.[^.]+$/, ".<instance>");
  v = v.replace(/file:\/.*\/(app\.log)$/, "file:<work>/$1");
  v = v.replace(/hostfwd=tcp:([\d.]*):\d+-:/, "hostfwd=tcp:$1:<port>-:");
  v = v.replace(/mac=[0-9a-f:]{17}/i, "mac=<mac>");
  v = v.replace(/(^|file=)\/\S*\/([^/,]+)(?=,|$)/, "$1<artifact>/$2");
  return v;
}

/** A shell-quoted command line (as the runner records it) back into its words. */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      current += line.slice(i + 1, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

export interface CommandLineRow {
  option: string;
  /** The value per platform, in the columns' order; undefined: that platform has no such option. */
  values: (string | null | undefined)[];
  same: boolean;
}

const key = (o: QemuOption) => `${o.option}\u0000${o.value ?? ""}`;

/** Options of which a line may hold several (devices, back ends) pair only with the same type. */
const TYPED_OPTIONS = new Set(["-device", "-netdev", "-chardev", "-object"]);

/** Whether two options are the same thing with other settings (one -drive, two virtio-net-pci devices). */
function sameKind(a: QemuOption, b: QemuOption): boolean {
  if (a.option !== b.option) return false;
  if (!TYPED_OPTIONS.has(a.option)) return true;
  return (a.value ?? "").split(",")[0] === (b.value ?? "").split(",")[0];
}

/**
 * The command lines aligned option by option against the first: identical options share a row;
 * an option each side has once but with another value shares a row marked different; the rest
 * are rows of their own.
 */
export function alignCommandLines(lines: readonly QemuOption[][]): CommandLineRow[] {
  const [base = [], ...others] = lines.map((options) =>
    options.map((o) => ({ option: o.option, value: o.value === null ? null : normaliseValue(o.option, o.value) })),
  );
  const empty = () => Array.from({ length: lines.length }, (): string | null | undefined => undefined);
  const rows: CommandLineRow[] = base.map((o) => {
    const values = empty();
    values[0] = o.value;
    return { option: o.option, values, same: true };
  });
  others.forEach((other, column) => {
    const used = new Set<number>();
    const matched = new Set<number>();
    // Identical options first.
    base.forEach((o, row) => {
      const at = other.findIndex((p, i) => !used.has(i) && key(p) === key(o));
      if (at >= 0) {
        used.add(at);
        matched.add(row);
        (rows[row] as CommandLineRow).values[column + 1] = other[at]?.value;
      }
    });
    // Then one leftover of the same kind on each side: the same option, another value.
    base.forEach((o, row) => {
      if (matched.has(row)) return;
      const leftBase = base.filter((b, i) => !matched.has(i) && sameKind(b, o));
      const leftOther = other.filter((p, i) => !used.has(i) && sameKind(p, o));
      if (leftBase.length === 1 && leftOther.length === 1) {
        const at = other.findIndex((p, i) => !used.has(i) && sameKind(p, o));
        used.add(at);
        matched.add(row);
        const r = rows[row] as CommandLineRow;
        r.values[column + 1] = other[at]?.value;
        r.same = false;
      }
    });
    for (const [row, r] of rows.entries()) if (row < base.length && !matched.has(row)) r.same = false;
    other.forEach((p, i) => {
      if (used.has(i)) return;
      const values = empty();
      values[column + 1] = p.value;
      rows.push({ option: p.option, values, same: false });
    });
  });
  return rows;
}

/** The options in which the lines differ, each once, in order. */
export function differingOptions(rows: readonly CommandLineRow[]): string[] {
  return [...new Set(rows.filter((r) => !r.same).map((r) => r.option))];
}

export interface VmRows {
  platforms: string[];
  rows: CommandLineRow[];
  /** Per cell with a guest report: what the guest kernel took. */
  guestMemory: {
    cell: string;
    platform: string;
    memoryMB: number;
    status: string;
    memTotalKb: number | null;
    appPeakRssKb: number | null;
  }[];
}

/** The recorded VM command lines of the runs (the first run that has a platform's), and the guests' memory reports. */
export function vmRows(manifests: readonly Manifest[], cells: readonly CellResult[]): VmRows | null {
  const lines = new Map<string, string[]>();
  for (const manifest of manifests) {
    for (const [platform, found] of Object.entries(manifest.platforms)) {
      const line = found.facts.qemuCommandLine;
      if (typeof line === "string" && !lines.has(platform)) lines.set(platform, splitShellWords(line));
    }
  }
  const guestMemory = cells
    .filter((c) => c.guest && (c.guest.memTotalKb !== null || c.guest.appPeakRssKb !== null))
    .map((c) => ({
      cell: c.name,
      platform: c.spec.platform,
      memoryMB: c.spec.memoryMB,
      status: c.status,
      memTotalKb: c.guest?.memTotalKb ?? null,
      appPeakRssKb: c.guest?.appPeakRssKb ?? null,
    }));
  if (lines.size === 0 && guestMemory.length === 0) return null;
  const platforms = [...lines.keys()];
  return { platforms, rows: alignCommandLines([...lines.values()].map(qemuOptions)), guestMemory };
}

const shown = (value: string | null | undefined) => (value === undefined ? "–" : (value ?? "(flag)"));
const mib = (kb: number | null) => (kb === null ? "–" : (kb / 1024).toFixed(1));

function summary(v: VmRows): string {
  if (v.platforms.length < 2) return `Only ${v.platforms.join("") || "no platform"} recorded a QEMU command line.`;
  const differ = differingOptions(v.rows);
  return `Against ${v.platforms[0]}, the lines differ in ${differ.length === 0 ? "nothing" : differ.map((o) => o || "(argument)").join(", ")}. Instance names, work folders, ports, MACs and artifact folders are shown as placeholders.`;
}

export function vmRowsMarkdown(v: VmRows | null): string {
  if (v === null) return "";
  const out = ["## The VM rows side by side", ""];
  if (v.platforms.length > 0) {
    out.push(summary(v), "");
    out.push(`| option | ${v.platforms.join(" | ")} |`, `|---|${v.platforms.map(() => "---").join("|")}|`);
    for (const r of v.rows) {
      const mark = r.same ? "" : " **≠**";
      out.push(
        `| ${mdCell(r.option || "(argument)")}${mark} | ${r.values.map((x) => `\`${mdCell(shown(x))}\``).join(" | ")} |`,
      );
    }
    out.push("");
  }
  if (v.guestMemory.length > 0) {
    out.push("What the guest kernel left the app (MemTotal) and the app's peak RSS, as the guest reported them:", "");
    out.push("| cell | memory MB | status | MemTotal MiB | app peak RSS MiB |", "|---|---:|---|---:|---:|");
    for (const g of v.guestMemory)
      out.push(`| ${mdCell(g.cell)} | ${g.memoryMB} | ${g.status} | ${mib(g.memTotalKb)} | ${mib(g.appPeakRssKb)} |`);
    out.push("");
  }
  return out.join("\n");
}

export function vmRowsHtml(v: VmRows | null): string {
  if (v === null) return "";
  const out = ['<section id="vm-rows"><h2>The VM rows side by side</h2>'];
  if (v.platforms.length > 0) {
    out.push(`<p>${escapeHtml(summary(v))}</p>`);
    out.push(
      `<table><thead><tr><th>option</th>${v.platforms.map((p) => `<th>${escapeHtml(p)}</th>`).join("")}</tr></thead><tbody>`,
    );
    for (const r of v.rows) {
      const style = r.same ? "" : ' style="background:#fff3cd"';
      out.push(
        `<tr${style}><td>${escapeHtml(r.option || "(argument)")}${r.same ? "" : " ≠"}</td>${r.values.map((x) => `<td><code>${escapeHtml(shown(x))}</code></td>`).join("")}</tr>`,
      );
    }
    out.push("</tbody></table>");
  }
  if (v.guestMemory.length > 0) {
    out.push(
      "<p>What the guest kernel left the app (MemTotal) and the app's peak RSS, as the guest reported them:</p>",
    );
    out.push(
      "<table><thead><tr><th>cell</th><th>memory MB</th><th>status</th><th>MemTotal MiB</th><th>app peak RSS MiB</th></tr></thead><tbody>",
    );
    for (const g of v.guestMemory) {
      out.push(
        `<tr><td>${escapeHtml(g.cell)}</td><td>${g.memoryMB}</td><td>${escapeHtml(g.status)}</td><td>${mib(g.memTotalKb)}</td><td>${mib(g.appPeakRssKb)}</td></tr>`,
      );
    }
    out.push("</tbody></table>");
  }
  out.push("</section>");
  return out.join("\n");
}
