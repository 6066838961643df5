import { join } from "node:path";
import { hasCommand, run } from "../../core/exec";
import { getRuntime } from "../runtimes/registry";
import { NoArtifactForm } from "../runtimes/types";
import type { ArtifactRecipe, BuildInputs, BuiltArtifact } from "./build";
import { buildImage, type ImageSpec, offlineImage } from "./dockerImages";
import { assertElfHeadersInFirstPage } from "./elf";
import { nanosBuildPlan, parseOpsBuildOutput, writeNanosInputs } from "./nanos";
import { measureArtifactSize } from "./sizes";

/** The raw artifact: the runtime's one executable (the static Go binary, the Node single executable; the paper used pkg). */
export const binaryRecipe: ArtifactRecipe = {
  kind: "binary",
  async build(runtime, inputs): Promise<BuiltArtifact> {
    const exe = await getRuntime(runtime).executable(inputs);
    return {
      ref: exe.path,
      status: "built",
      size: await measureArtifactSize({ kind: "file", path: exe.path }),
      builtWith: exe.builtWith,
      notes: exe.notes,
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

/** A Docker image FROM scratch, built without a registry: the runtime's root filesystem (rootfs). */
export const dockerOfflineRecipe: ArtifactRecipe = {
  kind: "docker-offline",
  present: imagePresent,
  async build(runtime, inputs) {
    const described = getRuntime(runtime);
    if (!described.rootfs) throw new NoArtifactForm(runtime, "docker-offline", "root filesystem form");
    const { tree, builtWith, notes } = await described.rootfs(inputs, join(inputs.outDir, `${runtime}-rootfs`));
    return dockerImage(offlineImage(inputs.revision, runtime, tree), inputs, builtWith, [
      ...notes.map((note) => `scratch image: ${note}`),
    ]);
  },
};

/** The paper's own Dockerfiles (section IV-A); building them needs a reachable registry. */
export const dockerPaperRecipe: ArtifactRecipe = {
  kind: "docker-paper",
  present: imagePresent,
  build(runtime, inputs) {
    const described = getRuntime(runtime);
    if (!described.paperImage) throw new NoArtifactForm(runtime, "docker-paper", "image in the paper");
    const { revision } = inputs;
    return dockerImage(described.paperImage(revision), inputs, { [runtime]: described.pinnedVersion(revision) }, [
      "built from the paper's base images",
    ]);
  },
};

/**
 * A Nanos image made by ops (the program is the runtime's: its nanosProgram). Every ELF handed to ops is
 * checked first against what Nanos can load, since ops builds an image of anything.
 */
export const nanosRecipe: ArtifactRecipe = {
  kind: "nanos",
  async build(runtime, inputs): Promise<BuiltArtifact> {
    const { revision } = inputs;
    const described = getRuntime(runtime);
    if (!described.nanosProgram) throw new NoArtifactForm(runtime, "nanos", "Nanos program");
    const program = await described.nanosProgram(inputs);
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
