import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Revision } from "../../core/config/revision";
import type { Runtime } from "../../core/model";
import { buildDir, repoRoot } from "../../core/paths";
import { goPaperImage, nodePaperImage, writeBuildContext } from "./dockerImages";
import { buildGoBinary, type GoBinary } from "./goBinary";
import { ensurePinnedNode, type PinnedNode } from "./nodeRuntime";
import { buildNodeSea, type NodeSea } from "./nodeSea";
import type { ArtifactSize } from "./sizes";

export const nodeAppScript = join(repoRoot, "workloads", "node", "app.js");

/** A name for what a recipe makes ("binary", "docker-offline", "nanos", ...): the recipe's own. */
export type ArtifactKind = string;

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

/** What a recipe returns; the builder adds runtime, kind and the build time. */
export type BuiltArtifact = Omit<ArtifactRecord, "runtime" | "kind" | "buildMs">;

/**
 * What every recipe may start from, made at most once per build however many recipes ask:
 * the static Go app, the pinned official Node binary, and its single executable.
 */
export interface BuildInputs {
  revision: Revision;
  /** build/artifacts/<revision id> unless the caller chose another folder. */
  outDir: string;
  nodeApp: string;
  goBinary(): Promise<GoBinary>;
  pinnedNode(): Promise<PinnedNode>;
  nodeSea(): Promise<NodeSea>;
}

/** How one kind of artifact is made for a runtime. A platform names the recipe of what it runs. */
export interface ArtifactRecipe {
  kind: ArtifactKind;
  build(runtime: Runtime, inputs: BuildInputs): Promise<BuiltArtifact>;
  /** Whether a recorded artifact is still there to run (default: its ref is an existing path). */
  present?(ref: string): Promise<boolean>;
}

/** Whether an artifact a run recorded can be used again as it is. */
export async function artifactStillPresent(recipe: ArtifactRecipe, record: ArtifactRecord): Promise<boolean> {
  if (record.status !== "built") return false;
  return recipe.present ? recipe.present(record.ref) : existsSync(record.ref);
}

export interface ArtifactManifest {
  revision: string;
  createdAt: string;
  artifacts: ArtifactRecord[];
}

export interface BuildOptions {
  revision: Revision;
  runtimes: readonly Runtime[];
  recipes: readonly ArtifactRecipe[];
  /** Defaults to build/artifacts/<revision id>. */
  outDir?: string;
  log?: (line: string) => void;
}

export function artifactsDir(revision: Revision): string {
  return join(buildDir, "artifacts", revision.id);
}

function memo<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make();
    return made;
  };
}

export function buildInputs(revision: Revision, outDir: string): BuildInputs {
  const goBinary = memo(() => buildGoBinary(join(outDir, "bin")));
  const pinnedNode = memo(() => ensurePinnedNode(revision));
  const nodeSea = memo(async () => buildNodeSea(await pinnedNode(), nodeAppScript, join(outDir, "bin")));
  return { revision, outDir, nodeApp: nodeAppScript, goBinary, pinnedNode, nodeSea };
}

/**
 * Builds every recipe for every runtime and writes build/artifacts/<rev>/manifest.json. The local
 * runner, the artifact CLI and the Pulumi program all build through here.
 */
export async function buildArtifacts(options: BuildOptions): Promise<ArtifactManifest> {
  const { revision, runtimes } = options;
  const outDir = options.outDir ?? artifactsDir(revision);
  const log = options.log ?? (() => {});
  mkdirSync(outDir, { recursive: true });
  const inputs = buildInputs(revision, outDir);
  const recipes = [...new Map(options.recipes.map((r) => [r.kind, r])).values()];
  const records: ArtifactRecord[] = [];
  for (const runtime of runtimes) {
    for (const recipe of recipes) {
      log(`building ${runtime} ${recipe.kind} ...`);
      const started = performance.now();
      const built = await recipe.build(runtime, inputs);
      const record = { runtime, kind: recipe.kind, ...built, buildMs: Math.round(performance.now() - started) };
      records.push(record);
      log(`  ${record.status} ${record.ref}${record.size ? ` (${record.size.apparentBytes} bytes)` : ""}`);
    }
    // The paper's own Dockerfiles: the context is always written (the Pulumi program ships it to
    // the SUT); building the image needs a registry, so only the docker-paper recipe builds it.
    const paperSpec = runtime === "go" ? goPaperImage(revision) : nodePaperImage(revision, nodeAppScript);
    writeBuildContext(paperSpec, join(outDir, "docker", `${runtime}-paper`));
  }
  const manifest: ArtifactManifest = { revision: revision.id, createdAt: new Date().toISOString(), artifacts: records };
  writeFileSync(join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
