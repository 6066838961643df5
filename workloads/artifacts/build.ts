import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Revision } from "../../lab/config/revision";
import { hasCommand, run } from "../../lab/exec";
import type { Runtime } from "../../lab/model";
import { buildDir, repoRoot } from "../../lab/paths";
import {
  buildImage,
  goOfflineImage,
  goPaperImage,
  type ImageSpec,
  nodeOfflineImage,
  nodePaperImage,
  writeBuildContext,
} from "./dockerImages";
import { buildGoBinary } from "./goBinary";
import { microvmArtifactRecipe } from "./microvm";
import { nanosBuildPlan, parseOpsBuildOutput, writeNanosInputs } from "./nanos";
import { ensurePinnedNode } from "./nodeRuntime";
import { buildNodeSea } from "./nodeSea";
import { assembleNodeRootfs } from "./rootfs";
import { type ArtifactSize, measureArtifactSize } from "./sizes";

export const nodeAppScript = join(repoRoot, "workloads", "node", "app.js");

export const ARTIFACT_KINDS = ["binary", "docker-offline", "docker-paper", "nanos", "microvm"] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export interface ArtifactRecord {
  runtime: Runtime;
  kind: ArtifactKind;
  /** A file path, an image tag, or for Nanos the image path ops writes. */
  ref: string;
  /** "built", or "inputs-only" where the tool to build it is missing (its inputs are written). */
  status: "built" | "inputs-only";
  size: ArtifactSize | null;
  /** Toolchain versions that made it (go, node, ops, nanos). */
  builtWith: Record<string, string>;
  buildMs: number;
  notes: string[];
}

/** What a build step returns; `timed` adds runtime, kind and the build time. */
type BuiltArtifact = Omit<ArtifactRecord, "runtime" | "kind" | "buildMs">;

export interface ArtifactManifest {
  revision: string;
  createdAt: string;
  artifacts: ArtifactRecord[];
}

export interface BuildOptions {
  revision: Revision;
  runtimes: readonly Runtime[];
  kinds: readonly ArtifactKind[];
  /** Defaults to build/artifacts/<revision id>. */
  outDir?: string;
  log?: (line: string) => void;
}

export function artifactsDir(revision: Revision): string {
  return join(buildDir, "artifacts", revision.id);
}

function goVersionNotes(revision: Revision, goVersion: string): string[] {
  return goVersion === revision.versions.go
    ? []
    : [`built with Go ${goVersion}, not the revision's ${revision.versions.go}`];
}

/**
 * Builds what was asked, in dependency order, and writes build/artifacts/<rev>/manifest.json.
 * Each step is a function the local runner and the Pulumi program call too.
 */
export async function buildArtifacts(options: BuildOptions): Promise<ArtifactManifest> {
  const { revision, runtimes, kinds } = options;
  const outDir = options.outDir ?? artifactsDir(revision);
  const log = options.log ?? (() => {});
  mkdirSync(outDir, { recursive: true });
  const records: ArtifactRecord[] = [];
  const wants = (kind: ArtifactKind) => kinds.includes(kind);

  // Shared inputs, made once and only when something needs them.
  let goBinary: Promise<Awaited<ReturnType<typeof buildGoBinary>>> | undefined;
  const getGoBinary = () => {
    goBinary ??= buildGoBinary(join(outDir, "bin"));
    return goBinary;
  };
  let pinnedNode: ReturnType<typeof ensurePinnedNode> | undefined;
  const getNode = () => {
    pinnedNode ??= ensurePinnedNode(revision);
    return pinnedNode;
  };

  let nodeSea: ReturnType<typeof buildNodeSea> | undefined;
  const getNodeSea = () => {
    nodeSea ??= getNode().then((node) => buildNodeSea(node, nodeAppScript, join(outDir, "bin")));
    return nodeSea;
  };

  const timed = async (runtime: Runtime, kind: ArtifactKind, step: () => Promise<BuiltArtifact>) => {
    log(`building ${runtime} ${kind} ...`);
    const started = performance.now();
    const record = { runtime, kind, ...(await step()), buildMs: Math.round(performance.now() - started) };
    records.push(record);
    log(`  ${record.status} ${record.ref}${record.size ? ` (${record.size.apparentBytes} bytes)` : ""}`);
  };

  const dockerImage = async (
    spec: ImageSpec,
    builtWith: Record<string, string>,
    notes: string[],
  ): Promise<BuiltArtifact> => {
    const image = await buildImage(spec, join(outDir, "docker", `${spec.runtime}-${spec.flavor}`));
    return {
      ref: image.tag,
      status: "built",
      size: await measureArtifactSize({ kind: "docker-image", ref: image.tag }),
      builtWith,
      notes,
    };
  };

  for (const runtime of runtimes) {
    if (wants("binary")) {
      await timed(runtime, "binary", async (): Promise<BuiltArtifact> => {
        if (runtime === "go") {
          const bin = await getGoBinary();
          return {
            ref: bin.path,
            status: "built",
            size: await measureArtifactSize({ kind: "file", path: bin.path }),
            builtWith: { go: bin.goVersion },
            notes: goVersionNotes(revision, bin.goVersion),
          };
        }
        const sea = await getNodeSea();
        return {
          ref: sea.path,
          status: "built",
          size: await measureArtifactSize({ kind: "file", path: sea.path }),
          builtWith: { node: sea.nodeVersion },
          notes: ["Node single executable application (SEA) of the official binary; the paper used pkg"],
        };
      });
    }

    if (wants("docker-offline")) {
      await timed(runtime, "docker-offline", async () => {
        if (runtime === "go") {
          const bin = await getGoBinary();
          return dockerImage(
            goOfflineImage(revision, bin.path),
            { go: bin.goVersion },
            goVersionNotes(revision, bin.goVersion),
          );
        }
        const node = await getNode();
        const rootfs = await assembleNodeRootfs(node.path, nodeAppScript, join(outDir, "node-rootfs"));
        return dockerImage(nodeOfflineImage(revision, rootfs.dir, rootfs.entrypoint), { node: node.version }, [
          `scratch image: node ${node.version} and ${rootfs.files.length - 2} shared libraries from this machine`,
        ]);
      });
    }

    // The paper's own Dockerfiles: the context is always written (the Pulumi program ships it
    // to the SUT); building it needs a registry, so it is only built when asked for.
    const paperSpec = runtime === "go" ? goPaperImage(revision) : nodePaperImage(revision, nodeAppScript);
    if (wants("docker-paper")) {
      await timed(runtime, "docker-paper", () =>
        dockerImage(paperSpec, { [runtime]: revision.versions[runtime] }, ["built from the paper's base images"]),
      );
    } else {
      writeBuildContext(paperSpec, join(outDir, "docker", `${runtime}-paper`));
    }

    if (wants("nanos")) {
      await timed(runtime, "nanos", async (): Promise<BuiltArtifact> => {
        const program = runtime === "go" ? (await getGoBinary()).path : (await getNodeSea()).path;
        const plan = nanosBuildPlan(revision, runtime, program);
        const inputs = writeNanosInputs(plan, join(outDir, "nanos", runtime));
        const builtWith = { nanos: revision.versions.nanos, ops: revision.versions.ops };
        if (!(await hasCommand("ops", ["version"]))) {
          return {
            ref: plan.imagePath,
            status: "inputs-only",
            size: null,
            builtWith,
            notes: [`ops not installed: config and build script written to ${inputs.dir}`],
          };
        }
        const { stdout } = await run("bash", [inputs.buildScript], { timeoutMs: 900_000 });
        const imagePath = parseOpsBuildOutput(stdout) ?? plan.imagePath;
        return {
          ref: imagePath,
          status: "built",
          size: await measureArtifactSize({ kind: "nanos-image", path: imagePath }),
          builtWith,
          notes: [],
        };
      });
    }
  }

  for (const runtime of runtimes.filter(() => wants("microvm"))) {
    await timed(runtime, "microvm", () =>
      microvmArtifactRecipe.build(runtime, {
        revision,
        outDir,
        goBinary: getGoBinary,
        pinnedNode: getNode,
        nodeApp: nodeAppScript,
      }),
    );
  }

  const manifest: ArtifactManifest = { revision: revision.id, createdAt: new Date().toISOString(), artifacts: records };
  writeFileSync(join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
