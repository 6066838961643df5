/**
 * What one load generator is to the lab, the way PerfKitBenchmarker treats a tool as a package:
 * how it is installed, how its version is asked, its command line for a LoadSpec, the parser from
 * what it left behind into the lab's LoadSummary, and how many cores it can drive. The local runner
 * (generator.ts) and the one over SSH (remote.ts) take any LoadGenerator; adding a generator is one
 * module and one line in registry.ts.
 */
import type { GeneratorName, LoadSpec, LoadSummary } from "../../core/load/types";
import type { HostInstall } from "../install";

/** How the generator gets onto a machine. */
export interface GeneratorInstall {
  /** A Debian/Ubuntu package (scripts/install-system.sh installs it here; see `pulumiHost`). */
  aptPackage?: string;
  /** A dependency in the lab's package.json. */
  npmPackage?: string;
  /**
   * How a Pulumi lab's load generator gets it: `bootstrap` (the lab's bootstrap builds it: k6),
   * `apt` (its aptPackage, from the revision's apt packages for the load generator), its own
   * downloads and steps (lab/install.ts), or absent: the Pulumi lab cannot run it there, and a
   * profile naming it is refused at preview.
   */
  pulumiHost?: "bootstrap" | "apt" | HostInstall;
  /** One sentence for an error message when it is missing. */
  howTo: string;
}

/** Where and how the generator runs: the same generator, seen from this machine or the load host. */
export interface CommandTarget {
  /** The lab's folder as the generator's machine sees it (scripts are read from there). */
  labDir: string;
  /** Where the generator's own summary file goes (absolute, or relative to the working folder). */
  summaryPath: string;
  /** From the version probe, recorded in the summary when known. */
  version: string | null;
  /** Cores the generator is given; wrk's thread count defaults to it. */
  cores: number;
  /** The generator's program when not the default on PATH (tests use stand-ins). */
  binary?: string;
  /** How to start a TypeScript file with Node on that machine (the autocannon CLI needs it). */
  tsNode: string[];
}

/** The runs of one load, each an argv (program first). */
export interface GeneratorCommands {
  /** Run first and never counted; null when the measured command warms up by itself (k6's scenarios). */
  warmup: string[] | null;
  measure: string[];
}

/** What a finished measured run left: its summary file's text (if any) and its stdout+stderr. */
export interface CapturedOutput {
  summaryText: string | null;
  log: string;
}

export interface LoadGenerator {
  readonly name: GeneratorName;
  readonly install: GeneratorInstall;
  /** The argv that prints the version (its exit code is ignored: `wrk -v` exits 1). */
  versionCommand(binary?: string): string[];
  /** The version in that command's output, or null when the output is not this generator's. */
  parseVersion(output: string): string | null;
  commands(spec: LoadSpec, target: CommandTarget): GeneratorCommands;
  /** The lab's LoadSummary from what the measured run left; throws naming what is wrong. */
  parseOutput(output: CapturedOutput, spec: LoadSpec, version: string | null): LoadSummary;
  /**
   * Ok requests per second it reached on one core against a native Go app on another (16
   * connections, /io, medians of 3; docs/design.md, load generators): the estimate a plan can make before any
   * host exists. The ceiling measured before a sweep replaces it.
   */
  readonly referenceOkRpsPerCore: number;
  /** How many of `given` cores this generator can keep busy for spec. */
  usableCores(given: number, spec: LoadSpec): number;
  /**
   * Log lines printed once per failed request (k6's "Request Failed"): counted, not kept, so one
   * OOM cell cannot write a log of tens of thousands of lines.
   */
  readonly perRequestLogLine?: RegExp;
}
