import type { Workload } from "../core/model";
import type { PaperClaim, PaperMetric } from "../core/paper/reference";
import { describeQuery, type MeasuredValue, type MeasureQuery, type Measures } from "./measures";

export type ClaimVerdictKind = "reproduced" | "not reproduced" | "not measured";

export interface ClaimVerdict {
  claim: PaperClaim;
  verdict: ClaimVerdictKind;
  /** The derived figures the verdict rests on (ratios, drops). */
  detail: string;
  /** Every measured input, as M(...) = value. */
  inputs: { query: string; value: MeasuredValue }[];
  /** Inputs this run does not have (then the verdict is "not measured"). */
  missing: string[];
  /** The same inputs as queries, for grouping claims by why they could not be measured. */
  missingQueries: MeasureQuery[];
  note: string;
}

const MEMORY = [512, 256, 128, 64] as const;
const RICH = { cpus: 8, memoryMB: 2048 } as const;

/**
 * The paper's notation as a tiny reader: `m(...)` returns the measured value or NaN, and
 * remembers every input and every gap, so a check is written once as plain arithmetic.
 */
class Inputs {
  readonly used: { query: string; value: MeasuredValue }[] = [];
  readonly missing: { label: string; query: MeasureQuery }[] = [];
  constructor(private readonly measures: Measures) {}

  m(
    metric: PaperMetric,
    runtime: string,
    platform: string,
    workload?: string,
    cpus?: number,
    memoryMB?: number,
  ): number {
    const q: MeasureQuery = { metric, runtime, platform, workload, cpus, memoryMB };
    const label = describeQuery(q);
    const value = this.measures(q);
    if (!value) {
      if (!this.missing.some((m) => m.label === label)) this.missing.push({ label, query: q });
      return Number.NaN;
    }
    if (!this.used.some((u) => u.query === label)) this.used.push({ query: label, value });
    return value.value;
  }

  /** M at 1 CPU for the constrained memory levels a check needs (all four by default). */
  levels(
    metric: PaperMetric,
    runtime: string,
    platform: string,
    workload: string,
    memory: readonly number[] = MEMORY,
  ): Record<number, number> {
    return Object.fromEntries(memory.map((mem) => [mem, this.m(metric, runtime, platform, workload, 1, mem)]));
  }
}

interface CheckResult {
  pass: boolean;
  detail: string;
  note?: string;
}
type Check = (x: Inputs) => CheckResult;

const f = (v: number, digits = 2) =>
  Number.isFinite(v) ? v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : "n/a";
const ratio = (a: number, b: number) => a / b;
const flat = (values: readonly number[]) => Math.max(...values) / Math.min(...values);
const drop = (from: number, to: number) => (100 * (from - to)) / from;

function ttrRatios(x: Inputs) {
  const go = ratio(x.m("ttrMedianMs", "go", "docker"), x.m("ttrMedianMs", "go", "nanos"));
  const node = ratio(x.m("ttrMedianMs", "node", "docker"), x.m("ttrMedianMs", "node", "nanos"));
  return { go, node };
}

function greaterAtAllLevels(runtime: string, workload: string): Check {
  return (x) => {
    const n = x.levels("throughputRps", runtime, "nanos", workload);
    const d = x.levels("throughputRps", runtime, "docker", workload);
    const ratios = MEMORY.map((mem) => ratio(n[mem] ?? Number.NaN, d[mem] ?? Number.NaN));
    return {
      pass: MEMORY.every((mem) => (n[mem] ?? 0) > (d[mem] ?? 0)),
      detail: `Nanos/Docker at ${MEMORY.join("/")} MB: ${ratios.map((r) => `${f(r)}x`).join(", ")}`,
    };
  };
}

function richGreater(runtime: string, workload: string, winner: string, loser: string): Check {
  return (x) => {
    const w = x.m("throughputRps", runtime, winner, workload, RICH.cpus, RICH.memoryMB);
    const l = x.m("throughputRps", runtime, loser, workload, RICH.cpus, RICH.memoryMB);
    return { pass: w > l, detail: `${winner}/${loser} = ${f(ratio(w, l))}x` };
  };
}

function dockerFlat(runtime: string, workload: string, withLatency: boolean): Check {
  return (x) => {
    const t = Object.values(x.levels("throughputRps", runtime, "docker", workload));
    const spreadT = flat(t);
    let pass = spreadT <= 1.15;
    let detail = `throughput max/min = ${f(spreadT)} (limit 1.15)`;
    if (withLatency) {
      const spreadL = flat(Object.values(x.levels("latencyMeanMs", runtime, "docker", workload)));
      pass = pass && spreadL <= 1.15;
      detail += `, mean latency max/min = ${f(spreadL)}`;
    }
    return { pass, detail };
  };
}

function nodeCrossover(workload: Workload): Check {
  return (x) => {
    const n = x.levels("throughputRps", "node", "nanos", workload);
    const d = x.levels("throughputRps", "node", "docker", workload);
    const at = (mem: number) => ({ n: n[mem] ?? Number.NaN, d: d[mem] ?? Number.NaN });
    const gap256 = Math.abs(at(256).n - at(256).d) / at(256).d;
    const dockerBelow = [128, 64].every((mem) => at(mem).d > at(mem).n);
    const high =
      workload === "io"
        ? at(512).n > at(512).d && gap256 <= 0.05
        : at(512).n >= at(512).d && (at(256).n >= at(256).d || gap256 <= 0.05);
    return {
      pass: high && dockerBelow,
      detail:
        MEMORY.map((mem) => `${mem} MB: Nanos/Docker ${f(ratio(at(mem).n, at(mem).d))}x`).join(", ") +
        `; |N-D|/D at 256 MB = ${f(100 * gap256, 1)}%`,
    };
  };
}

/** Each claim's `check` from paper-reference.yaml as code, keyed by claim id. */
export const CLAIM_CHECKS: Record<string, Check> = {
  "h1-ttr-order-of-magnitude": (x) => {
    const r = ttrRatios(x);
    return {
      pass: r.go >= 10 && r.node >= 10,
      detail: `Docker/Nanos TTR: go ${f(r.go, 1)}x, node ${f(r.node, 1)}x (needs >= 10)`,
    };
  },
  "ttr-13x-18x": (x) => {
    const r = ttrRatios(x);
    const inBand = (v: number) => v >= 13 && v < 19;
    return {
      pass: inBand(r.go) && inBand(r.node) && r.node > r.go,
      detail: `Docker/Nanos TTR: go ${f(r.go, 1)}x, node ${f(r.node, 1)}x (paper 13.2x, 18.3x; needs 13 <= r < 19 and node > go)`,
    };
  },
  "nanos-ttr-runtime-independent": (x) => {
    const go = x.m("ttrMedianMs", "go", "nanos");
    const node = x.m("ttrMedianMs", "node", "nanos");
    const near12 = (v: number) => v >= 6 && v <= 18;
    return {
      pass: Math.abs(go - node) <= 0.1 * Math.max(go, node) && near12(go) && near12(node),
      detail: `Nanos median TTR: go ${f(go, 1)} ms, node ${f(node, 1)} ms (needs within 10% of each other and 12 ms +/- 50%)`,
    };
  },
  "node-image-2-4x-smaller-on-nanos": (x) => {
    const r = ratio(x.m("imageSizeMB", "node", "docker"), x.m("imageSizeMB", "node", "nanos"));
    const strong = Math.round(r * 10) / 10 === 2.4;
    return {
      pass: strong,
      detail: `Docker/Nanos image size (Node.js) = ${f(r)}x (paper 2.40x)`,
      note: strong ? "" : r >= 2 ? "the weaker form (>= 2x) holds" : "even the weaker form (>= 2x) fails",
    };
  },
  "go-image-order-raw-docker-nanos": (x) => {
    const raw = x.m("binarySizeMB", "go", "raw");
    const docker = x.m("imageSizeMB", "go", "docker");
    const nanos = x.m("imageSizeMB", "go", "nanos");
    return {
      pass: raw < docker && docker < nanos,
      detail: `raw ${f(raw)} MB, Docker ${f(docker)} MB, Nanos ${f(nanos)} MB`,
    };
  },
  "go-nanos-kernel-about-3mb": (x) => {
    const diff = x.m("imageSizeMB", "go", "nanos") - x.m("binarySizeMB", "go", "raw");
    return { pass: diff >= 2.5 && diff <= 3.5, detail: `Nanos image - raw binary = ${f(diff)} MB (needs 2.5-3.5)` };
  },
  "h1-image-footprint-smaller": (x) => {
    const nodeN = x.m("imageSizeMB", "node", "nanos");
    const nodeD = x.m("imageSizeMB", "node", "docker");
    const goN = x.m("imageSizeMB", "go", "nanos");
    const goD = x.m("imageSizeMB", "go", "docker");
    return {
      pass: nodeN < nodeD,
      detail: `Node.js: Nanos ${f(nodeN)} MB vs Docker ${f(nodeD)} MB; Go (reported, not judged): Nanos ${f(goN)} MB vs Docker ${f(goD)} MB`,
    };
  },
  "go-io-rich-docker-faster": richGreater("go", "io", "docker", "nanos"),
  "go-io-rich-docker-double": (x) => {
    const r = ratio(
      x.m("throughputRps", "go", "docker", "io", RICH.cpus, RICH.memoryMB),
      x.m("throughputRps", "go", "nanos", "io", RICH.cpus, RICH.memoryMB),
    );
    return { pass: r >= 1.8 && r <= 2.2, detail: `Docker/Nanos = ${f(r)}x (paper 1.94x; needs 1.8-2.2)` };
  },
  "node-io-rich-nanos-faster": richGreater("node", "io", "nanos", "docker"),
  "go-io-rich-docker-lower-jitter": (x) => {
    const sdD = x.m("latencyStddevMs", "go", "docker", "io", RICH.cpus, RICH.memoryMB);
    const sdN = x.m("latencyStddevMs", "go", "nanos", "io", RICH.cpus, RICH.memoryMB);
    const toD = x.m("timeouts", "go", "docker", "io", RICH.cpus, RICH.memoryMB);
    const toN = x.m("timeouts", "go", "nanos", "io", RICH.cpus, RICH.memoryMB);
    return {
      pass: sdD < sdN && toD <= toN,
      detail: `jitter Docker ${f(sdD, 3)} ms vs Nanos ${f(sdN, 3)} ms; timeouts Docker ${f(toD, 1)} vs Nanos ${f(toN, 1)}`,
    };
  },
  "go-io-rich-jitter-two-orders": (x) => {
    const r = ratio(
      x.m("latencyStddevMs", "go", "nanos", "io", RICH.cpus, RICH.memoryMB),
      x.m("latencyStddevMs", "go", "docker", "io", RICH.cpus, RICH.memoryMB),
    );
    return { pass: r >= 50, detail: `Nanos/Docker jitter = ${f(r, 1)}x (paper 95.3x; needs >= 50)` };
  },
  "go-io-rich-nanos-timeouts": (x) => {
    const t = x.m("timeouts", "go", "nanos", "io", RICH.cpus, RICH.memoryMB);
    return { pass: t > 0, detail: `timeouts per run = ${f(t, 1)} (paper 37)` };
  },
  "go-io-1cpu-nanos-faster-all-memory": greaterAtAllLevels("go", "io"),
  "go-io-1cpu-docker-flat": dockerFlat("go", "io", true),
  "go-io-1cpu-nanos-memory-knee": (x) => {
    const t = x.levels("throughputRps", "go", "nanos", "io", [512, 256, 128]);
    const [t512, t256, t128] = [t[512] ?? Number.NaN, t[256] ?? Number.NaN, t[128] ?? Number.NaN];
    const stable = Math.abs(t512 - t256) / t256;
    const d = drop(t256, t128);
    return {
      pass: stable <= 0.05 && d >= 30 && d <= 55,
      detail: `512 vs 256 MB differ by ${f(100 * stable, 1)}% (needs <= 5%); drop 256 -> 128 MB = ${f(d, 1)}% (paper 41.53%; needs 30-55%)`,
    };
  },
  "go-nanos-order-of-magnitude-1cpu": (x) => {
    const ratios: string[] = [];
    let pass = true;
    for (const w of ["io", "compute"]) {
      const n = x.levels("throughputRps", "go", "nanos", w);
      const d = x.levels("throughputRps", "go", "docker", w);
      for (const mem of MEMORY) {
        const r = ratio(n[mem] ?? Number.NaN, d[mem] ?? Number.NaN);
        pass = pass && r >= 10;
        ratios.push(`${w} ${mem} MB ${f(r, 1)}x`);
      }
    }
    return { pass, detail: `Nanos/Docker: ${ratios.join(", ")} (strict reading: >= 10 everywhere)` };
  },
  "node-io-crossover-256-128": nodeCrossover("io"),
  "node-io-1cpu-nanos-collapse": (x) => {
    const go = drop(
      x.m("throughputRps", "go", "nanos", "io", 1, 256),
      x.m("throughputRps", "go", "nanos", "io", 1, 128),
    );
    const node = drop(
      x.m("throughputRps", "node", "nanos", "io", 1, 256),
      x.m("throughputRps", "node", "nanos", "io", 1, 128),
    );
    return {
      pass: node > go,
      detail: `drop 256 -> 128 MB: node ${f(node, 1)}%, go ${f(go, 1)}% (paper 79.65% vs 41.53%)`,
    };
  },
  "node-io-1cpu-nanos-latency-rise": (x) => {
    const r = ratio(
      x.m("latencyMeanMs", "node", "nanos", "io", 1, 128),
      x.m("latencyMeanMs", "node", "nanos", "io", 1, 256),
    );
    return { pass: r >= 2, detail: `mean latency 128 MB / 256 MB = ${f(r)}x (paper 2.73x; needs >= 2)` };
  },
  "node-io-1cpu-docker-graceful": (x) => {
    const d = x.levels("throughputRps", "node", "docker", "io");
    const keep = ratio(d[128] ?? Number.NaN, d[512] ?? Number.NaN);
    const low = ratio(d[64] ?? Number.NaN, d[128] ?? Number.NaN);
    return {
      pass: keep >= 0.9 && low >= 0.5 && low < 0.9,
      detail: `D(128)/D(512) = ${f(keep)} (needs >= 0.9), D(64)/D(128) = ${f(low)} (needs 0.5-0.9; paper 0.99, 0.68)`,
    };
  },
  "go-compute-up-to-30x-node": (x) => {
    const r = ["docker", "nanos"].map((p) =>
      ratio(
        x.m("throughputRps", "go", p, "compute", RICH.cpus, RICH.memoryMB),
        x.m("throughputRps", "node", p, "compute", RICH.cpus, RICH.memoryMB),
      ),
    );
    const best = Math.max(...r);
    return {
      pass: best >= 20 && best <= 40 && r.every((v) => v > 1),
      detail: `Go/Node.js compute: Docker ${f(r[0] ?? Number.NaN, 1)}x, Nanos ${f(r[1] ?? Number.NaN, 1)}x (paper 30.7x, 18.8x; needs max in 20-40)`,
    };
  },
  "go-compute-rich-docker-faster": richGreater("go", "compute", "docker", "nanos"),
  "go-compute-1cpu-nanos-faster-all-memory": greaterAtAllLevels("go", "compute"),
  "go-compute-1cpu-docker-flat": dockerFlat("go", "compute", false),
  "go-compute-1cpu-nanos-degrades-at-128": (x) => {
    const t256 = x.m("throughputRps", "go", "nanos", "compute", 1, 256);
    const t128 = x.m("throughputRps", "go", "nanos", "compute", 1, 128);
    return {
      pass: t128 < t256,
      detail: `256 MB ${f(t256, 0)} req/s, 128 MB ${f(t128, 0)} req/s (drop ${f(drop(t256, t128), 1)}%)`,
    };
  },
  "node-compute-crossover-256-128": nodeCrossover("compute"),
  "node-compute-nanos-advantage-6-85-to-12-54-percent": (x) => {
    const adv = [512, 256].map(
      (mem) =>
        100 *
        (ratio(
          x.m("throughputRps", "node", "nanos", "compute", 1, mem),
          x.m("throughputRps", "node", "docker", "compute", 1, mem),
        ) -
          1),
    );
    return {
      pass: adv.every((a) => a > 0 && a <= 20),
      detail: `Nanos advantage: 512 MB ${f(adv[0] ?? Number.NaN, 2)}%, 256 MB ${f(adv[1] ?? Number.NaN, 2)}% (paper 6.85-12.54%; needs 0-20%)`,
    };
  },
  "node-compute-1cpu-nanos-collapse": (x) => {
    const n = x.levels("throughputRps", "node", "nanos", "compute", [256, 128, 64]);
    const [n256, n128, n64] = [n[256] ?? Number.NaN, n[128] ?? Number.NaN, n[64] ?? Number.NaN];
    return {
      pass: n256 > n128 && n128 > n64,
      detail: `${f(n256, 0)} -> ${f(n128, 0)} -> ${f(n64, 0)} req/s; N(128)/N(256) = ${f(n128 / n256)}, N(64)/N(256) = ${f(n64 / n256)} (paper 0.71, 0.33)`,
    };
  },
  "node-compute-1cpu-docker-graceful": (x) => {
    const d = x.levels("throughputRps", "node", "docker", "compute");
    const keep = ratio(d[128] ?? Number.NaN, d[512] ?? Number.NaN);
    const low = ratio(d[64] ?? Number.NaN, d[128] ?? Number.NaN);
    return {
      pass: keep >= 0.85 && low < 0.9,
      detail: `D(128)/D(512) = ${f(keep)} (needs >= 0.85), D(64)/D(128) = ${f(low)} (needs < 0.9)`,
    };
  },
  "node-compute-1cpu-nanos-latency-rise": (x) => {
    const base = x.m("latencyMeanMs", "node", "nanos", "compute", 1, 256);
    const r = [128, 64].map((mem) => ratio(x.m("latencyMeanMs", "node", "nanos", "compute", 1, mem), base));
    return {
      pass: r.every((v) => v > 1.2),
      detail: `mean latency vs 256 MB: 128 MB ${f(r[0] ?? Number.NaN)}x, 64 MB ${f(r[1] ?? Number.NaN)}x (needs > 1.2)`,
    };
  },
};

/** Run every claim's check; a claim without a check, or without the data, is "not measured". */
export function checkClaims(
  claims: readonly PaperClaim[],
  measures: Measures,
  /** Platforms with at least one cell run; a claim about one that did not run is "not measured here". */
  platformsRun?: ReadonlySet<string>,
): ClaimVerdict[] {
  return claims.map((claim) => {
    const check = CLAIM_CHECKS[claim.id];
    if (!check) {
      return {
        claim,
        verdict: "not measured",
        detail: "",
        inputs: [],
        missing: [],
        missingQueries: [],
        note: `no check is implemented for claim id ${claim.id} (add it to CLAIM_CHECKS in analysis/claims.ts)`,
      };
    }
    const inputs = new Inputs(measures);
    const result = check(inputs);
    const flagged = inputs.used.filter((u) => u.value.flagged).map((u) => u.query);
    const notes = [result.note ?? ""];
    if (flagged.length > 0) notes.push(`from flagged cells: ${flagged.join(", ")}`);
    if (inputs.missing.length > 0) {
      const absent = [...new Set(inputs.missing.map((m) => m.query.platform))].filter(
        (p) => platformsRun !== undefined && !platformsRun.has(p),
      );
      const here =
        absent.length > 0
          ? `not measured here: no platform named ${absent.join(" or ")} ran (see the local analogues for what this run can test); `
          : "";
      return {
        claim,
        verdict: "not measured",
        detail: "",
        inputs: inputs.used,
        missing: inputs.missing.map((m) => m.label),
        missingQueries: inputs.missing.map((m) => m.query),
        note: `${here}this run has no ${inputs.missing.map((m) => `${m.label}${measures.explain ? ` (${measures.explain(m.query)})` : ""}`).join(", ")}`,
      };
    }
    return {
      claim,
      verdict: result.pass ? "reproduced" : "not reproduced",
      detail: result.detail,
      inputs: inputs.used,
      missing: [],
      missingQueries: [],
      note: notes.filter((n) => n !== "").join("; "),
    };
  });
}
