/**
 * Why the paper's claims could not be measured in this run, one line per reason, for the report's
 * first screen: "26 claims need nanos (kernel own, isolation vm), which did not run here: nanos:
 * ops not installed; this host's KVM cannot run guests (...)". The reasons come from what the run
 * recorded (the manifest's platform availability and profile, the host's KVM probe, the cells'
 * skip reasons) and from the platform's class, never from a platform's name.
 */
import { getPlatform, isPlatform } from "../lab/platforms/registry";
import type { AnalogueVerdict } from "./analogues";
import type { ClaimVerdict } from "./claims";
import type { MeasureQuery } from "./measures";
import type { LoadedRun } from "./read";
import type { Scenario } from "./scenarios";

export interface UnmeasuredGroup {
  /** What the claims of this group need and why this run lacks it, without the count. */
  reason: string;
  claims: ClaimVerdict[];
}

const ran = (s: Scenario) => s.counts.skipped < s.cells.length;
const SIZE_METRICS = new Set(["binarySizeMB", "imageSizeMB"]);

/** Why a registered platform has no cell here, from what the runs recorded. */
export function whyNotRun(platform: string, runs: readonly LoadedRun[], scenarios: readonly Scenario[]): string {
  const reasons: string[] = [];
  for (const { manifest: m } of runs) {
    const availability = m.platforms[platform];
    if (availability && !availability.ok) reasons.push(availability.reason ?? `${platform} was unavailable`);
    else if (!m.profile.platforms.includes(platform))
      reasons.push(`the ${m.profileName} profile does not include ${platform}`);
    else if (m.selection.platforms?.length && !m.selection.platforms.includes(platform))
      reasons.push(`the run's platform selection left ${platform} out`);
  }
  for (const s of scenarios.filter((x) => x.spec.platform === platform))
    for (const c of s.cells) if (c.cell.status === "skipped" && c.cell.reason) reasons.push(c.cell.reason);
  // A virtual machine needs KVM: say so when the host's probe found none, unless a reason already does.
  if (isPlatform(platform) && getPlatform(platform).class.isolation === "vm") {
    for (const { manifest: m } of runs) {
      const said = reasons.some((r) => /kvm/i.test(r));
      if (!m.host.kvm.usable && !said)
        reasons.push(`this host's KVM cannot run guests${m.host.kvm.reason ? ` (${m.host.kvm.reason})` : ""}`);
    }
  }
  const unique = [...new Set(reasons)];
  return unique.length > 0 ? unique.join("; ") : "no reason recorded";
}

const classText = (platform: string) => {
  if (!isPlatform(platform)) return "";
  const c = getPlatform(platform).class;
  return ` (kernel ${c.kernel}, isolation ${c.isolation})`;
};

/** "docker io at 1 CPU with 512 and 64 MB; docker compute at 8 CPUs with 2048 MB". */
function cellsText(queries: readonly MeasureQuery[]): string {
  const byWhere = new Map<string, Set<number>>();
  for (const q of queries) {
    if (q.cpus === undefined) continue;
    const where = `${q.platform} ${q.workload ?? ""} at ${q.cpus} CPU${q.cpus > 1 ? "s" : ""}`;
    const levels = byWhere.get(where) ?? new Set<number>();
    if (q.memoryMB !== undefined) levels.add(q.memoryMB);
    byWhere.set(where, levels);
  }
  return [...byWhere]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(
      ([where, levels]) =>
        `${where} with ${[...levels]
          .sort((a, b) => b - a)
          .join(", ")
          .replace(/, (\d+)$/, " and $1")} MB`,
    )
    .join("; ");
}

/** One claim's reason key and text: the platform that did not run first, then what the profile did not plan. */
function reasonOf(
  c: ClaimVerdict,
  platformsRun: ReadonlySet<string>,
  runs: readonly LoadedRun[],
  scenarios: readonly Scenario[],
): { key: string; reason: string; queries: MeasureQuery[] } {
  const missing = c.missingQueries;
  if (missing.length === 0) return { key: "no-check", reason: "have no check in analysis/claims.ts", queries: [] };
  const absent = [...new Set(missing.map((q) => q.platform))]
    .filter((p) => isPlatform(p) && !platformsRun.has(p))
    .sort();
  if (absent.length > 0) {
    const why = absent.map((p) => `${p}${classText(p)}, which did not run here: ${whyNotRun(p, runs, scenarios)}`);
    return { key: `platform:${absent.join("+")}`, reason: `need ${why.join("; and ")}`, queries: [] };
  }
  const sizes = missing.filter((q) => SIZE_METRICS.has(q.metric));
  if (sizes.length === missing.length) {
    return { key: "artifact", reason: "need an artifact size the manifests do not list", queries: [] };
  }
  const planned = (q: MeasureQuery) =>
    scenarios.some(
      (s) =>
        s.spec.runtime === q.runtime &&
        s.spec.platform === q.platform &&
        s.spec.workload === q.workload &&
        s.spec.cpus === q.cpus &&
        s.spec.memoryMB === q.memoryMB &&
        ran(s),
    );
  const unplanned = missing.filter((q) => !SIZE_METRICS.has(q.metric) && !planned(q));
  if (unplanned.length > 0) {
    return { key: "design", reason: "need cells this run's profile does not plan", queries: unplanned };
  }
  return {
    key: "failed",
    reason: "need cells that ran here without an ok repetition (see the full list)",
    queries: [],
  };
}

/** The claims this run could not measure, grouped by reason, the largest group first. */
export function unmeasuredGroups(
  claims: readonly ClaimVerdict[],
  runs: readonly LoadedRun[],
  scenarios: readonly Scenario[],
): UnmeasuredGroup[] {
  const platformsRun = new Set(scenarios.filter(ran).map((s) => s.spec.platform));
  const groups = new Map<string, { reason: string; claims: ClaimVerdict[]; queries: MeasureQuery[] }>();
  for (const c of claims.filter((x) => x.verdict === "not measured")) {
    const r = reasonOf(c, platformsRun, runs, scenarios);
    const group = groups.get(r.key) ?? { reason: r.reason, claims: [], queries: [] };
    group.claims.push(c);
    group.queries.push(...r.queries);
    groups.set(r.key, group);
  }
  return [...groups.values()]
    .map((g) => ({
      reason: g.queries.length > 0 ? `${g.reason}: ${cellsText(g.queries)}` : g.reason,
      claims: g.claims,
    }))
    .sort((a, b) => b.claims.length - a.claims.length);
}

/** "26 claims need ...", "1 claim needs ...". */
export function groupLine(g: UnmeasuredGroup): string {
  const one = g.claims.length === 1;
  const reason = one ? g.reason.replace(/^need /, "needs ").replace(/^have /, "has ") : g.reason;
  return `${g.claims.length} claim${one ? "" : "s"} ${reason}`;
}

/** The local analogues this run could not answer, one line per reason (their notes are already class-based). */
export function unansweredAnalogueLines(list: readonly AnalogueVerdict[]): string[] {
  const byNote = new Map<string, number>();
  for (const a of list.filter((x) => x.verdict === "not measured")) byNote.set(a.note, (byNote.get(a.note) ?? 0) + 1);
  return [...byNote].map(([note, n]) => `${n} analogue${n === 1 ? "" : "s"}: ${note}`);
}
