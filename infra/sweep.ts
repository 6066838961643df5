/**
 * The sweep: the engine's --plan-only on the SUT, then every cell of the profile as one command,
 * strictly one after another (each depends on the one before, so no two overlap). A cell's
 * trigger is its id (the hash of its spec) and the run id, so `pulumi up` after a change or a
 * failure runs exactly the cells that changed or never finished.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Cell } from "../core/matrix";
import { type HostCommand, hostCommand, type LabHost } from "./hostCommand";
import type { LabPlan, PairPlan } from "./stackPlan";
import { parseJsonLine } from "./sutArtifacts";
import { cellScript, planScript, type RunnerWiring } from "./sweepScripts";

export interface SweepArgs {
  plan: LabPlan;
  /** The pair this sweep runs on: its cells, and the calibration cell when another pair owns it. */
  pair: PairPlan;
  sut: LabHost;
  /** Where instances listen and where k6 runs (addresses may be known only after the servers exist). */
  wiring: pulumi.Input<RunnerWiring>;
  /** After the artifacts (and the preflight of both hosts). */
  after: pulumi.Resource[];
}

/** Resource name suffix of a cell: readable and stable (the name of the cell in its profile). */
export function cellResourceName(cell: Cell): string {
  return `cell-${cell.name}`;
}

export class Sweep extends pulumi.ComponentResource {
  readonly planCommand: HostCommand;
  readonly cells: { cell: Cell; command: HostCommand }[] = [];
  readonly last: pulumi.Resource[];
  /** The plan step's line: run id, cell count, new or existing run. */
  readonly planned: pulumi.Output<unknown>;

  constructor(name: string, args: SweepArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:Sweep", name, {}, opts);
    const { plan, sut, pair } = args;
    const names = new Set<string>();
    for (const cell of plan.cells) {
      if (names.has(cell.name)) throw new Error(`two cells share the name ${cell.name}: the sweep needs unique names`);
      names.add(cell.name);
    }
    this.planCommand = hostCommand(
      `${name}-plan`,
      sut,
      { script: planScript(plan), triggers: [plan.runId, ...plan.cells.map((c) => c.id)] },
      { parent: this, dependsOn: args.after },
    );
    this.planned = this.planCommand.stdout.apply(parseJsonLine);
    let previous: pulumi.Resource = this.planCommand;
    const wiring = pulumi.output(args.wiring);
    // The calibration cell first, so the pairs measure it at about the same time.
    const mine = [...(pair.calibration ? [pair.calibration] : []), ...pair.cells];
    for (const cell of mine) {
      const calibration = pair.calibration?.id === cell.id;
      const command = hostCommand(
        `${name}-${calibration ? "calibration-" : ""}${cellResourceName(cell)}`,
        sut,
        { script: wiring.apply((w) => cellScript(plan, cell, w, pair.index)), triggers: [cell.id, plan.runId] },
        { parent: this, dependsOn: [previous] },
      );
      this.cells.push({ cell, command });
      previous = command;
    }
    this.last = [previous];
    this.registerOutputs({ planned: this.planned, cells: this.cells.length });
  }
}
