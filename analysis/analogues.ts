/**
 * Local analogues of the paper's claims: questions this lab can test on whatever platforms ran,
 * asked over platform classes (kernel: linux | own; isolation: none | process | vm), never over
 * names. They are not the paper's claims and the report labels them so.
 */

import { FAILED_STATUSES } from "../core/results/schema";
import { getPlatform, isPlatform, knobsAtDefaults } from "../lab/platforms/registry";
import type { PlatformClass } from "../lab/platforms/types";
import { type Attribution, estimateText, ratioText, whereText } from "./attribution";
import { excludesZero, linearCombination, ratioOfMeans } from "./intervals";
import { failedCount, type Scenario } from "./scenarios";

export type AnalogueVerdictKind = "yes" | "no" | "mixed" | "undetermined" | "not measured";

export interface AnalogueVerdict {
  id: string;
  question: string;
  verdict: AnalogueVerdictKind;
  /** The numbers the verdict rests on, one line each (95% intervals). */
  evidence: string[];
  note: string;
}

const classText = (c: PlatformClass) => `kernel ${c.kernel}, isolation ${c.isolation}`;

const classOf = (platform: string): PlatformClass | null => (isPlatform(platform) ? getPlatform(platform).class : null);

const ran = (s: Scenario) => s.counts.skipped < s.cells.length;

/** Platforms that ran at least one cell and sit in the given class. */
function platformsOfClass(scenarios: readonly Scenario[], wanted: PlatformClass): string[] {
  const names = new Set(scenarios.filter(ran).map((s) => s.spec.platform));
  return [...names].filter((p) => {
    const c = classOf(p);
    return c !== null && c.kernel === wanted.kernel && c.isolation === wanted.isolation;
  });
}

const okValues = (s: Scenario) =>
  s.used.map((c) => c.cell.load?.okThroughputRps ?? c.cell.load?.throughputRps).filter((v): v is number => v != null);

type Degradation = { degrades: boolean | null; text: string };

/** Whether throughput at `low` MB is significantly below that at `high` MB, or the low level fails outright. */
function degradation(high: Scenario, low: Scenario): Degradation {
  const label = `${high.spec.platform} ${high.spec.workload} at ${high.spec.cpus} CPU`;
  const lowFailed = low.basis === "none" && failedCount(low) > 0;
  if (lowFailed && high.basis !== "none") {
    const fails = FAILED_STATUSES.filter((k) => low.counts[k] > 0).map((k) => `${low.counts[k]} ${k}`);
    return {
      degrades: true,
      text: `${label}: fails at ${low.spec.memoryMB} MB (${fails.join(", ")}), runs at ${high.spec.memoryMB} MB`,
    };
  }
  const h = okValues(high);
  const l = okValues(low);
  if (h.length === 0 || l.length === 0) return { degrades: null, text: `${label}: no ok repetition at one level` };
  const r = ratioOfMeans({ values: l }, { values: h });
  if (!r || r.high === null)
    return {
      degrades: null,
      text: `${label}: ${low.spec.memoryMB}/${high.spec.memoryMB} MB throughput ${ratioText(r)} (no interval: n < 2)`,
    };
  return {
    degrades: r.high < 1,
    text: `${label}: throughput at ${low.spec.memoryMB} MB / at ${high.spec.memoryMB} MB = ${ratioText(r)}`,
  };
}

/**
 * Does class `own` degrade Node under memory pressure where class `linux` does not? (Named for the
 * kernel question; also asked for a VM against a process on the same kind of kernel.)
 */
function degradesNodeWhereOtherDoesNot(
  scenarios: readonly Scenario[],
  id: string,
  question: string,
  own: PlatformClass,
  linux: PlatformClass,
): AnalogueVerdict {
  const owns = platformsOfClass(scenarios, own);
  const linuxes = platformsOfClass(scenarios, linux);
  if (owns.length === 0 || linuxes.length === 0) {
    const lacking = [owns.length === 0 ? classText(own) : "", linuxes.length === 0 ? classText(linux) : ""].filter(
      (x) => x,
    );
    return {
      id,
      question,
      verdict: "not measured",
      evidence: [],
      note: `no platform of class ${lacking.join(" nor ")} ran`,
    };
  }
  const base = scenarios.filter(
    (s) => s.spec.runtime === "node" && s.spec.workload !== "startup" && ran(s) && knobsAtDefaults(s.spec.knobs),
  );
  const evidence: string[] = [];
  const answers: boolean[] = [];
  let undetermined = 0;
  const situations = new Set(base.map((s) => `${s.spec.workload}|${s.spec.cpus}`));
  for (const situation of situations) {
    const [workload, cpusText] = situation.split("|");
    const cpus = Number(cpusText);
    const at = (p: string) =>
      base.filter((s) => s.spec.platform === p && s.spec.workload === workload && s.spec.cpus === cpus);
    const involved = [...owns, ...linuxes];
    const levelSets = involved.map((p) => new Set(at(p).map((s) => s.spec.memoryMB)));
    const common = [...(levelSets[0] ?? [])].filter((m) => levelSets.every((set) => set.has(m))).sort((x, y) => y - x);
    if (common.length < 2) continue;
    const [high, low] = [common[0] as number, common[common.length - 1] as number];
    const verdictOf = (p: string) => {
      const h = at(p).find((s) => s.spec.memoryMB === high);
      const l = at(p).find((s) => s.spec.memoryMB === low);
      if (!h || !l) return null;
      const d = degradation(h, l);
      evidence.push(`Node ${d.text}`);
      return d.degrades;
    };
    const ownDegrades = owns.map(verdictOf);
    const linuxDegrades = linuxes.map(verdictOf);
    if ([...ownDegrades, ...linuxDegrades].some((d) => d === null)) {
      undetermined++;
      continue;
    }
    answers.push(ownDegrades.every((d) => d) && linuxDegrades.every((d) => !d));
  }
  if (evidence.length === 0) {
    return {
      id,
      question,
      verdict: "not measured",
      evidence,
      note: "Node did not run at two common memory levels on both classes",
    };
  }
  const verdict: AnalogueVerdictKind =
    answers.length === 0 ? "undetermined" : answers.every((x) => x) ? "yes" : answers.every((x) => !x) ? "no" : "mixed";
  return {
    id,
    question,
    verdict,
    evidence,
    note: `degrades = throughput at the lowest common memory level significantly below the highest (95% interval of the ratio below 1), or every repetition failing there; paper's settings only${undetermined > 0 ? `; ${undetermined} workload(s) undetermined` : ""}`,
  };
}

function nodeHeapFailures(scenarios: readonly Scenario[], attribution: Attribution): AnalogueVerdict {
  const id = "local-node-heap-fit-failures";
  const question = "Does nodeHeap: fit (--max-old-space-size at three quarters of the memory) change where Node fails?";
  const ranFit = scenarios.some((s) => s.spec.runtime === "node" && s.spec.knobs.nodeHeap === "fit" && ran(s));
  if (!ranFit) return { id, question, verdict: "not measured", evidence: [], note: "no nodeHeap=fit variant ran" };
  const outcomes = attribution.outcomes.filter((o) => o.change.knob === "nodeHeap" && o.change.value === "fit");
  const differing = outcomes.filter((o) => o.differs);
  if (outcomes.length === 0) {
    return { id, question, verdict: "no", evidence: [], note: "no Node repetition failed with either setting" };
  }
  return {
    id,
    question,
    verdict: differing.length > 0 ? "yes" : "no",
    evidence: outcomes.map((o) => o.sentence),
    note: "counts of repetitions per outcome: a statement of what happened, not a significance test",
  };
}

function goMaxProcsInContainer(scenarios: readonly Scenario[]): AnalogueVerdict {
  const linuxProcess: PlatformClass = { kernel: "linux", isolation: "process" };
  const id = "local-gomaxprocs-linux-process";
  const question = `Does GOMAXPROCS = CPU limit change Go's throughput in a Linux-kernel container (${classText(linuxProcess)}) under a CPU limit?`;
  const platforms = platformsOfClass(scenarios, linuxProcess);
  const go = scenarios.filter(
    (s) => s.spec.runtime === "go" && s.spec.workload !== "startup" && ran(s) && platforms.includes(s.spec.platform),
  );
  const evidence: string[] = [];
  const significant: boolean[] = [];
  for (const variant of go.filter((s) => s.spec.knobs.goMaxProcs === "cpus")) {
    const base = go.find(
      (s) =>
        s.spec.platform === variant.spec.platform &&
        s.spec.workload === variant.spec.workload &&
        s.spec.cpus === variant.spec.cpus &&
        s.spec.memoryMB === variant.spec.memoryMB &&
        knobsAtDefaults(s.spec.knobs),
    );
    if (!base) continue;
    const [v, b] = [okValues(variant), okValues(base)];
    if (v.length === 0 || b.length === 0) continue;
    const change = linearCombination([
      { group: { values: v }, weight: 1 },
      { group: { values: b }, weight: -1 },
    ]);
    evidence.push(
      `Go ${variant.spec.platform} ${variant.spec.workload} at ${whereText(variant.spec)}: change ${estimateText(change, "req/s")}, ratio ${ratioText(ratioOfMeans({ values: v }, { values: b }))}`,
    );
    if (change.low !== null) significant.push(excludesZero(change));
  }
  if (evidence.length === 0) {
    return {
      id,
      question,
      verdict: "not measured",
      evidence,
      note:
        platforms.length === 0
          ? `no platform of class ${classText(linuxProcess)} ran`
          : "no goMaxProcs=cpus variant ran there",
    };
  }
  const verdict: AnalogueVerdictKind =
    significant.length === 0
      ? "undetermined"
      : significant.every((x) => x)
        ? "yes"
        : significant.some((x) => x)
          ? "mixed"
          : "no";
  return { id, question, verdict, evidence, note: "yes = the 95% interval of the change excludes 0" };
}

export function checkAnalogues(scenarios: readonly Scenario[], attribution: Attribution): AnalogueVerdict[] {
  const own = (isolation: "process" | "vm"): PlatformClass => ({ kernel: "own", isolation });
  const linux = (isolation: "process" | "vm"): PlatformClass => ({ kernel: "linux", isolation });
  const kernelQuestion = (isolation: "process" | "vm") =>
    degradesNodeWhereOtherDoesNot(
      scenarios,
      `local-own-kernel-node-memory-${isolation}`,
      `Does a kernel of its own (${classText(own(isolation))}) degrade Node under memory pressure where a Linux kernel (${classText(linux(isolation))}) does not?`,
      own(isolation),
      linux(isolation),
    );
  return [
    kernelQuestion("process"),
    kernelQuestion("vm"),
    degradesNodeWhereOtherDoesNot(
      scenarios,
      "local-vm-node-memory-linux",
      `Does a virtual machine (${classText(linux("vm"))}) degrade Node under memory pressure where a container on the same kind of kernel (${classText(linux("process"))}) does not?`,
      linux("vm"),
      linux("process"),
    ),
    nodeHeapFailures(scenarios, attribution),
    goMaxProcsInContainer(scenarios),
  ];
}
