import type { Revision } from "../core/config/revision";
import type { Runtime } from "../core/model";
import { imageTag } from "../workloads/artifacts/dockerImages";
import { nanosBuildPlan, type OpsConfig } from "../workloads/artifacts/nanos";
import { allRuntimes } from "../workloads/runtimes/registry";

/** Where the lab keeps its files on a system under test. */
export const SUT_LAB_DIR = "/opt/edgelab";

export interface RuntimeArtifactPlan {
  runtime: Runtime;
  /** The pinned toolchain the runtime is built or run with. */
  toolchain: string;
  /** The raw binary on the SUT. */
  binary: string;
  dockerImage: string;
  dockerBase: string;
  nanosImage: string;
  nanosBuildCommand: string;
  opsConfig: OpsConfig;
}

/** What the lab builds on a SUT for one revision: the stack's published plan (each runtime's descriptor says how). */
export function artifactPlan(revision: Revision, labDir = SUT_LAB_DIR): RuntimeArtifactPlan[] {
  return allRuntimes().flatMap((runtime) => {
    const sut = runtime.onSut?.(revision, labDir);
    if (!sut) return [];
    const nanos = nanosBuildPlan(revision, runtime.name, sut.nanosProgram);
    return [
      {
        runtime: runtime.name,
        toolchain: sut.toolchain,
        binary: sut.binary,
        dockerImage: imageTag(runtime.name, "paper", revision),
        dockerBase: sut.dockerBase,
        nanosImage: nanos.imageName,
        nanosBuildCommand: `ops ${nanos.buildArgs.join(" ")}`,
        opsConfig: nanos.config,
      },
    ];
  });
}
