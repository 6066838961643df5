import type { Revision } from "../core/config/revision";
import { RUNTIMES, type Runtime } from "../core/model";
import { imageTag } from "../workloads/artifacts/dockerImages";
import { nanosBuildPlan, nanosProgram, type OpsConfig } from "../workloads/artifacts/nanos";

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

/** What the lab builds on a SUT for one revision: the stack's published plan. */
export function artifactPlan(revision: Revision, labDir = SUT_LAB_DIR): RuntimeArtifactPlan[] {
  return RUNTIMES.map((runtime) => {
    const binary = `${labDir}/bin/edgeapp-${runtime}`;
    const program = nanosProgram(runtime, {
      goBinary: binary,
      nodeBinary: `${labDir}/bin/node`,
      nodeApp: `${labDir}/workloads/node/app.js`,
    });
    const nanos = nanosBuildPlan(revision, runtime, program);
    return {
      runtime,
      toolchain: runtime === "go" ? `go ${revision.versions.go}` : `node ${revision.versions.node}`,
      binary,
      dockerImage: imageTag(runtime, "paper", revision),
      dockerBase:
        runtime === "go" ? `${revision.images.goBuilder} -> ${revision.images.goRuntime}` : revision.images.nodeRuntime,
      nanosImage: nanos.imageName,
      nanosBuildCommand: `ops ${nanos.buildArgs.join(" ")}`,
      opsConfig: nanos.config,
    };
  });
}
