import type { Profile } from "../core/config/profile";
import { type Cell, type CellSpec, type CellWorkload, cellId, cellName } from "../core/matrix";
import type { Runtime } from "../core/model";
import { knobsFor } from "./platforms/knobs";
import { getPlatform } from "./platforms/registry";

/** The knobs of `variant` that differ from `base`. */
function changedKnobs(base: Readonly<Record<string, string>>, variant: Readonly<Record<string, string>>) {
  return Object.fromEntries(Object.entries(variant).filter(([knob, value]) => base[knob] !== value));
}

/** What part of a profile to run (command-line filters); empty means all. */
export interface Selection {
  runtimes?: readonly Runtime[];
  platforms?: readonly string[];
  workloads?: readonly CellWorkload[];
  memoryMB?: readonly number[];
}

/**
 * The cells of a profile, in run order: repetitions outermost (a partial run still covers every
 * scenario once), then resources, runtime, workload (startup first), knob variant (the profile's
 * own knobs first), platform innermost, so the platforms compared in one scenario run close
 * together in time. A variant that changes nothing for a platform and runtime adds no cell.
 */
export function expandMatrix(profile: Profile, revisionId: string, selection: Selection = {}): Cell[] {
  const keep = <T>(values: readonly T[], chosen?: readonly T[]) =>
    chosen && chosen.length > 0 ? values.filter((v) => chosen.includes(v)) : values;
  const workloads: CellWorkload[] = [...(profile.ttr.launches > 0 ? (["startup"] as const) : []), ...profile.workloads];
  const variants = [{}, ...(profile.knobVariants ?? [])].map((v) => ({ ...profile.knobs, ...v }));
  const cells: Cell[] = [];
  const seen = new Set<string>();
  for (let repetition = 1; repetition <= profile.repetitions; repetition++) {
    for (const level of profile.resources) {
      const { cpus, memoryMB } = level;
      if (selection.memoryMB?.length && !selection.memoryMB.includes(memoryMB)) continue;
      for (const runtime of keep(profile.runtimes, selection.runtimes)) {
        if (level.runtimes && !level.runtimes.includes(runtime)) continue;
        for (const workload of keep(workloads, selection.workloads)) {
          if (level.workloads && !level.workloads.includes(workload)) continue;
          for (const chosen of level.knobVariants === false ? variants.slice(0, 1) : variants) {
            for (const platform of keep(profile.platforms, selection.platforms).map(getPlatform)) {
              const knobs = knobsFor(platform, chosen, runtime);
              const spec: CellSpec = {
                revision: revisionId,
                runtime,
                platform: platform.name,
                workload,
                cpus,
                memoryMB,
                knobs,
                load: workload === "startup" ? null : profile.load,
                ttr: workload === "startup" ? profile.ttr : null,
                // Only a VM can be emulated; elsewhere the setting changes nothing and stays out of the id.
                allowEmulation: platform.class.isolation === "vm" ? profile.allowEmulation : false,
                repetition,
              };
              const id = cellId(spec);
              if (seen.has(id)) continue;
              seen.add(id);
              const changed = changedKnobs(knobsFor(platform, profile.knobs, runtime), knobs);
              cells.push({ id, name: cellName(spec, changed), spec });
            }
          }
        }
      }
    }
  }
  return cells;
}
