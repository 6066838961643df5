/**
 * A runtime, described once: how its app is built, started and configured, and how it is packed
 * into each kind of artifact. Recipes, platforms, the contract check and the Pulumi plan ask the
 * descriptor and name no runtime; adding one is its folder (the app and its descriptor) and a line
 * in the registry (registry.ts).
 */
import type { Revision } from "../../core/config/revision";
import type { KnobSpec, KnobValues } from "../../core/matrix";
import type { Runtime } from "../../core/model";
import type { BuildInputs } from "../artifacts/build";
import type { ImageSpec } from "../artifacts/dockerImages";
import type { NanosProgram } from "../artifacts/nanos";
import type { AppInfo } from "../contract";

/** What a build step made, with the versions that made it and anything a reader should know. */
export interface Made {
  builtWith: Record<string, string>;
  notes: string[];
}

/** The app alone as a root filesystem: a scratch Docker image, a microVM's initramfs. */
export interface AppTree {
  /** A folder laid out as the root (what `COPY rootfs/ /` takes). */
  dir: string;
  /** The files the app needs, as absolute paths inside the tree (each also under `dir`). */
  files: string[];
  /** Its command, as the image's entrypoint. */
  command: string[];
}

/** How the Pulumi lab's SUT makes it, for the stack's published artifact plan. */
export interface SutRuntime {
  /** The pinned toolchain it is built or run with ("go 1.22.2"). */
  toolchain: string;
  /** The executable on the SUT. */
  binary: string;
  /** The paper image's base images. */
  dockerBase: string;
  /** What ops packs there. */
  nanosProgram: NanosProgram;
}

export interface RuntimeDescriptor {
  /** Lowercase letters and digits: it sits in cell names, image tags and folders. */
  name: Runtime;
  description: string;
  /** The version the revision pins for it (its toolchain or its runtime). */
  pinnedVersion(revision: Revision): string;
  /** Knobs of the runtime: the same on every platform, each passes the environment to the app. */
  knobs: Readonly<Record<string, KnobSpec>>;
  /** The app's environment from its knobs and the instance's limits (GOMAXPROCS, the V8 heap). */
  environment(knobs: KnobValues, resources: { cpus: number; memoryMB: number }): Record<string, string>;
  /** What its /info must say beyond the fields every app reports. */
  infoProblems(info: AppInfo): string[];
  /** One executable file, started with PORT in its environment: what the native platform runs. */
  executable(inputs: BuildInputs): Promise<Made & { path: string }>;
  /** The app alone as a root filesystem, laid out under `stagingDir`. Absent: it has no such form. */
  rootfs?(inputs: BuildInputs, stagingDir: string): Promise<Made & { tree: AppTree }>;
  /** The paper's own Docker image of it (section IV-A). Absent: the paper had none. */
  paperImage?(revision: Revision): ImageSpec;
  /** What ops packs into a Nanos image. Absent: it has no Nanos form. */
  nanosProgram?(inputs: BuildInputs): Promise<NanosProgram>;
  /** How the Pulumi lab's SUT builds it (its files under `labDir`). Absent: the Pulumi lab does not build it. */
  onSut?(revision: Revision, labDir: string): SutRuntime;
}

/** A named error for an artifact kind a runtime has no form for. */
export class NoArtifactForm extends Error {
  override name = "NoArtifactForm";
  constructor(runtime: Runtime, kind: string, what: string) {
    super(`runtime ${runtime} has no ${what}: it cannot be packed as ${kind}`);
  }
}
