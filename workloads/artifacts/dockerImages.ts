import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Revision } from "../../core/config/revision";
import { run } from "../../core/exec";
import { APP_PORT, type Runtime } from "../../core/model";
import { goSourceDir } from "./goBinary";

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

function labels(runtime: Runtime, flavor: ImageFlavor, revision: Revision): string {
  return `LABEL org.opencontainers.image.title="edgelab-${runtime}" lab.revision="${revision.id}" lab.flavor="${flavor}"`;
}

/** Section IV-A: golang:1.22-alpine as the builder, scratch as the base. */
export function goPaperImage(revision: Revision): ImageSpec {
  const dockerfile = `# Built as in the paper (section IV-A): ${revision.images.goBuilder} builder, ${revision.images.goRuntime} runtime.
FROM ${revision.images.goBuilder} AS build
WORKDIR /src
COPY go.mod ./
COPY *.go ./
RUN CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags="-s -w" -o /edgeapp-go .

FROM ${revision.images.goRuntime}
${labels("go", "paper", revision)}
COPY --from=build /edgeapp-go /edgeapp-go
ENV PORT=${APP_PORT}
EXPOSE ${APP_PORT}
ENTRYPOINT ["/edgeapp-go"]
`;
  return {
    runtime: "go",
    flavor: "paper",
    tag: imageTag("go", "paper", revision),
    dockerfile,
    context: ["go.mod", "main.go", "info.go"].map((f) => ({ dest: f, source: join(goSourceDir, f) })),
  };
}

/** Section IV-A: the app on the official Alpine Node image, pinned to the revision's Node. */
export function nodePaperImage(revision: Revision, appScript: string): ImageSpec {
  const dockerfile = `# Built as in the paper (section IV-A): the app on ${revision.images.nodeRuntime}.
FROM ${revision.images.nodeRuntime}
${labels("node", "paper", revision)}
WORKDIR /app
COPY app.js ./
ENV PORT=${APP_PORT}
EXPOSE ${APP_PORT}
# node as PID 1 directly: the app handles SIGTERM itself, so docker stop is prompt.
ENTRYPOINT ["node", "/app/app.js"]
`;
  return {
    runtime: "node",
    flavor: "paper",
    tag: imageTag("node", "paper", revision),
    dockerfile,
    context: [{ dest: "app.js", source: appScript }],
  };
}

/** The locally built static Go binary, alone in a scratch image. */
export function goOfflineImage(revision: Revision, goBinary: string): ImageSpec {
  const dockerfile = `# Offline: the static binary built on this machine, nothing else.
FROM scratch
${labels("go", "offline", revision)}
COPY edgeapp-go /edgeapp-go
ENV PORT=${APP_PORT}
EXPOSE ${APP_PORT}
ENTRYPOINT ["/edgeapp-go"]
`;
  return {
    runtime: "go",
    flavor: "offline",
    tag: imageTag("go", "offline", revision),
    dockerfile,
    context: [{ dest: "edgeapp-go", source: goBinary }],
  };
}

/** The pinned Node binary, its shared libraries and the app: a rootfs assembled by rootfs.ts. */
export function nodeOfflineImage(revision: Revision, rootfsDir: string, entrypoint: readonly string[]): ImageSpec {
  const dockerfile = `# Offline: the pinned Node binary, exactly the shared libraries it loads, and the app.
FROM scratch
${labels("node", "offline", revision)}
COPY rootfs/ /
ENV PORT=${APP_PORT}
EXPOSE ${APP_PORT}
ENTRYPOINT ${JSON.stringify(entrypoint)}
`;
  return {
    runtime: "node",
    flavor: "offline",
    tag: imageTag("node", "offline", revision),
    dockerfile,
    context: [{ dest: "rootfs", source: rootfsDir }],
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
