import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Revision } from "../../core/config/revision";
import { run } from "../../core/exec";
import { APP_PORT, type Runtime } from "../../core/model";
import type { AppTree } from "../runtimes/types";

/**
 * `paper`: built as the paper built them, from registry base images (real hosts).
 * `offline`: `FROM scratch` from artifacts built on this machine, for hosts that reach no
 * registry (this one and CI).
 */
export type ImageFlavor = "paper" | "offline";

export interface ContextEntry {
  /** Path inside the build context. */
  dest: string;
  /** File or directory on this machine. */
  source: string;
}

export interface ImageSpec {
  runtime: Runtime;
  flavor: ImageFlavor;
  tag: string;
  dockerfile: string;
  context: ContextEntry[];
}

export function imageTag(runtime: Runtime, flavor: ImageFlavor, revision: Revision): string {
  return `edgelab-${runtime}:${revision.id}-${flavor}`;
}

/** The labels every lab image carries. */
export function imageLabels(runtime: Runtime, flavor: ImageFlavor, revision: Revision): string {
  return `LABEL org.opencontainers.image.title="edgelab-${runtime}" lab.revision="${revision.id}" lab.flavor="${flavor}"`;
}

/**
 * The app alone, from scratch: the root filesystem its runtime laid out from artifacts built on
 * this machine (the static Go binary; the pinned Node, exactly the libraries it loads and app.js).
 */
export function offlineImage(revision: Revision, runtime: Runtime, tree: AppTree): ImageSpec {
  const dockerfile = `# Offline: the app's root filesystem built on this machine, nothing else.
FROM scratch
${imageLabels(runtime, "offline", revision)}
COPY rootfs/ /
ENV PORT=${APP_PORT}
EXPOSE ${APP_PORT}
ENTRYPOINT ${JSON.stringify(tree.command)}
`;
  return {
    runtime,
    flavor: "offline",
    tag: imageTag(runtime, "offline", revision),
    dockerfile,
    context: [{ dest: "rootfs", source: tree.dir }],
  };
}

/** Lay out a build context directory (Dockerfile plus the files it copies); returns its path. */
export function writeBuildContext(spec: ImageSpec, dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Dockerfile"), spec.dockerfile);
  for (const entry of spec.context) cpSync(entry.source, join(dir, entry.dest), { recursive: true });
  return dir;
}

export interface BuiltImage {
  tag: string;
  id: string;
}

/** `docker build` of a prepared context against the daemon DOCKER_HOST points at (local by default). */
export async function buildImage(spec: ImageSpec, contextDir: string): Promise<BuiltImage> {
  writeBuildContext(spec, contextDir);
  await run("docker", ["build", "--quiet", "--tag", spec.tag, contextDir], { timeoutMs: 900_000 });
  const { stdout } = await run("docker", ["image", "inspect", "--format", "{{.Id}}", spec.tag]);
  return { tag: spec.tag, id: stdout.trim() };
}
