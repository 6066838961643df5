import type { PaperReference } from "../core/paper/reference";
import { type AnalogueVerdict, checkAnalogues } from "./analogues";
import { type ArtifactSize, artifactSizes } from "./artifactSizes";
import { type Attribution, attribute } from "./attribution";
import { type UnmeasuredGroup, unmeasuredGroups } from "./claimReasons";
import { type ClaimVerdict, checkClaims } from "./claims";
import { comparePlatforms, type PairComparison } from "./crossover";
import { type DecisionRow, decisionRows, staticDecisionRows } from "./decision";
import { type Finding, findings } from "./findings";
import { type FloorAnalysis, floorAnalysis, floorFindings } from "./floor";
import { type Measures, measuresFromRun } from "./measures";
import { type PairAgreement, pairAgreement } from "./pairs";
import { comparePaper, type PaperComparisonRow } from "./paperCompare";
import type { RunInput } from "./read";
import { buildScenarios, type Scenario } from "./scenarios";

/** Everything the report shows, computed once from the input; the writers only format it. */
export interface Analysis {
  input: RunInput;
  scenarios: Scenario[];
  sizes: ArtifactSize[];
  pairs: PairComparison[];
  decisions: DecisionRow[];
  measures: Measures;
  paperRows: PaperComparisonRow[];
  claims: ClaimVerdict[];
  /** The claims this run cannot measure, one group per reason (the report's first screen). */
  unmeasured: UnmeasuredGroup[];
  /** What explains each gap: the knob changes against the paper's settings. */
  attribution: Attribution;
  /** Local analogues of the paper's claims, asked over platform classes. */
  analogues: AnalogueVerdict[];
  /** The significant findings in words, for the report's first screen. */
  findings: Finding[];
  reference: PaperReference;
  /** Runs made on several host pairs (the Pulumi lab's `pairs`): how their calibration cell agrees. */
  hostPairs: PairAgreement[];
  /** The memory floor of the input's floor runs (null: none is a floor run). */
  floor: FloorAnalysis | null;
  /** Warnings from reading plus those found while analysing. */
  warnings: string[];
}

/** Platforms with every cell skipped: said once here instead of in every table row. */
function neverRan(scenarios: readonly Scenario[]): string[] {
  const out: string[] = [];
  for (const platform of new Set(scenarios.map((s) => s.spec.platform))) {
    const mine = scenarios.filter((s) => s.spec.platform === platform);
    if (mine.every((s) => s.counts.skipped === s.cells.length)) {
      const reasons = [...new Set(mine.flatMap((s) => s.cells.map((c) => c.cell.reason ?? "no reason recorded")))];
      out.push(
        `platform ${platform}: all ${mine.reduce((n, s) => n + s.cells.length, 0)} cells were skipped (${reasons.join("; ")}), so it is left out of every comparison`,
      );
    }
  }
  return out;
}

export function analyze(input: RunInput, reference: PaperReference): Analysis {
  const scenarios = buildScenarios(input.cells);
  const { sizes, warnings: artifactWarnings } = artifactSizes(input.runs);
  const pairs = comparePlatforms(scenarios);
  const measures = measuresFromRun(scenarios, sizes);
  const attribution = attribute(scenarios);
  const platformsRun = new Set(scenarios.filter((s) => s.counts.skipped < s.cells.length).map((s) => s.spec.platform));
  const claims = checkClaims(reference.claims, measures, platformsRun);
  const floor = floorAnalysis(input);
  return {
    input,
    scenarios,
    sizes,
    pairs,
    decisions: [...decisionRows(pairs), ...staticDecisionRows(scenarios, sizes)],
    measures,
    paperRows: comparePaper(reference, measures),
    claims,
    unmeasured: unmeasuredGroups(claims, input.runs, scenarios),
    attribution,
    analogues: checkAnalogues(scenarios, attribution),
    findings: [...(floor ? floorFindings(floor) : []), ...findings(attribution, pairs, scenarios)],
    reference,
    floor,
    hostPairs: input.runs.map((run) => pairAgreement(run.dir)).filter((p): p is PairAgreement => p !== null),
    warnings: [...input.warnings, ...artifactWarnings, ...neverRan(scenarios)],
  };
}
