import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Revision } from "../../core/config/revision";
import type { Runtime } from "../../core/model";
import { buildDir } from "../../core/paths";
import { getRuntime } from "../runtimes/registry";
import { writeBuildContext } from "./dockerImages";
import type { ArtifactSize } from "./sizes";

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

/** What every recipe builds from: the revision, the output folder and one build per piece. */
export interface BuildInputs {
  revision: Revision;
  /** build/artifacts/<revision id> unless the caller chose another folder. */
  outDir: string;
  /**
   * `make()`'s result, made at most once per build however many recipes ask for `key` (the
   * static Go app, the pinned official Node binary, its single executable).
   */
  once<T>(key: string, make: () => Promise<T>): Promise<T>;
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

export function buildInputs(revision: Revision, outDir: string): BuildInputs {
  const made = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, make: () => Promise<T>): Promise<T> => {
    if (!made.has(key)) made.set(key, make());
    return made.get(key) as Promise<T>;
  };
  return { revision, outDir, once };
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
    const paperSpec = getRuntime(runtime).paperImage?.(revision);
    if (paperSpec) writeBuildContext(paperSpec, join(outDir, "docker", `${runtime}-paper`));
  }
  const manifest: ArtifactManifest = { revision: revision.id, createdAt: new Date().toISOString(), artifacts: records };
  writeFileSync(join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
