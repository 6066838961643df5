import { join } from "node:path";
import type { Revision } from "../../core/config/revision";
import { hasCommand, run } from "../../core/exec";
import type { ArtifactRecipe, BuildInputs, BuiltArtifact } from "./build";
import {
  buildImage,
  goOfflineImage,
  goPaperImage,
  type ImageSpec,
  nodeOfflineImage,
  nodePaperImage,
} from "./dockerImages";
import { assertElfHeadersInFirstPage } from "./elf";
import { nanosBuildPlan, nanosProgram, parseOpsBuildOutput, writeNanosInputs } from "./nanos";
import { assembleNodeRootfs } from "./rootfs";
import { measureArtifactSize } from "./sizes";

function goVersionNotes(revision: Revision, goVersion: string): string[] {
  return goVersion === revision.versions.go
    ? []
    : [`built with Go ${goVersion}, not the revision's ${revision.versions.go}`];
}

/** The raw artifact: the static Go binary, or the Node single executable (the paper used pkg). */
export const binaryRecipe: ArtifactRecipe = {
  kind: "binary",
  async build(runtime, inputs): Promise<BuiltArtifact> {
    if (runtime === "go") {
      const bin = await inputs.goBinary();
      return {
        ref: bin.path,
        status: "built",
        size: await measureArtifactSize({ kind: "file", path: bin.path }),
        builtWith: { go: bin.goVersion },
        notes: goVersionNotes(inputs.revision, bin.goVersion),
      };
    }
    const sea = await inputs.nodeSea();
    return {
      ref: sea.path,
      status: "built",
      size: await measureArtifactSize({ kind: "file", path: sea.path }),
      builtWith: { node: sea.nodeVersion },
      notes: ["Node single executable application (SEA) of the official binary; the paper used pkg"],
    };
  },
};

async function dockerImage(
  spec: ImageSpec,
  inputs: BuildInputs,
  builtWith: Record<string, string>,
  notes: string[],
): Promise<BuiltArtifact> {
  const image = await buildImage(spec, join(inputs.outDir, "docker", `${spec.runtime}-${spec.flavor}`));
  return {
    ref: image.tag,
    status: "built",
    size: await measureArtifactSize({ kind: "docker-image", ref: image.tag }),
    builtWith,
    notes,
  };
}

function imagePresent(tag: string): Promise<boolean> {
  return run("docker", ["image", "inspect", tag]).then(
    () => true,
    () => false,
  );
}

/** A Docker image FROM scratch, built without a registry: the Go binary, or node + its libraries + app.js. */
export const dockerOfflineRecipe: ArtifactRecipe = {
  kind: "docker-offline",
  present: imagePresent,
  async build(runtime, inputs) {
    const { revision } = inputs;
    if (runtime === "go") {
      const bin = await inputs.goBinary();
      return dockerImage(
        goOfflineImage(revision, bin.path),
        inputs,
        { go: bin.goVersion },
        goVersionNotes(revision, bin.goVersion),
      );
    }
    const node = await inputs.pinnedNode();
    const rootfs = await assembleNodeRootfs(node.path, inputs.nodeApp, join(inputs.outDir, "node-rootfs"));
    return dockerImage(nodeOfflineImage(revision, rootfs.dir, rootfs.entrypoint), inputs, { node: node.version }, [
      `scratch image: node ${node.version} and ${rootfs.files.length - 2} shared libraries from this machine`,
    ]);
  },
};

/** The paper's own Dockerfiles (section IV-A); building them needs a reachable registry. */
export const dockerPaperRecipe: ArtifactRecipe = {
  kind: "docker-paper",
  present: imagePresent,
  build(runtime, inputs) {
    const { revision } = inputs;
    const spec = runtime === "go" ? goPaperImage(revision) : nodePaperImage(revision, inputs.nodeApp);
    return dockerImage(spec, inputs, { [runtime]: revision.versions[runtime] }, ["built from the paper's base images"]);
  },
};

/**
 * A Nanos image made by ops (the program per runtime: nanosProgram). Every ELF handed to ops is
 * checked first against what Nanos can load, since ops builds an image of anything.
 */
export const nanosRecipe: ArtifactRecipe = {
  kind: "nanos",
  async build(runtime, inputs): Promise<BuiltArtifact> {
    const { revision } = inputs;
    const program = nanosProgram(runtime, {
      goBinary: runtime === "go" ? (await inputs.goBinary()).path : "",
      nodeBinary: runtime === "node" ? (await inputs.pinnedNode()).path : "",
      nodeApp: inputs.nodeApp,
    });
    assertElfHeadersInFirstPage(program.path);
    const plan = nanosBuildPlan(revision, runtime, program);
    const built = writeNanosInputs(plan, join(inputs.outDir, "nanos", runtime));
    const builtWith = { nanos: revision.versions.nanos, ops: revision.versions.ops };
    if (!(await hasCommand("ops", ["version"]))) {
      return {
        ref: plan.imagePath,
        status: "inputs-only",
        size: null,
        builtWith,
        notes: [`ops not installed: config and build script written to ${built.dir}`],
      };
    }
    const { stdout } = await run("bash", [built.buildScript], { timeoutMs: 900_000 });
    const imagePath = parseOpsBuildOutput(stdout) ?? plan.imagePath;
    return {
      ref: imagePath,
      status: "built",
      size: await measureArtifactSize({ kind: "nanos-image", path: imagePath }),
      builtWith,
      notes: [],
    };
  },
};
