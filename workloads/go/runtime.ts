/**
 * Go: the AOT-compiled runtime. The app (main.go, info.go: standard library only) is one static
 * binary; it runs as itself everywhere, and GOMAXPROCS is its one knob.
 */
import { chmodSync, copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Revision } from "../../core/config/revision";
import { APP_PORT } from "../../core/model";
import type { BuildInputs } from "../artifacts/build";
import { type ImageSpec, imageLabels, imageTag } from "../artifacts/dockerImages";
import { buildGoBinary, goSourceDir } from "../artifacts/goBinary";
import type { RuntimeDescriptor } from "../runtimes/types";

const BINARY = "edgeapp-go";

function goBinary(inputs: BuildInputs) {
  return inputs.once("go-binary", () => buildGoBinary(join(inputs.outDir, "bin")));
}

function versionNotes(revision: Revision, goVersion: string): string[] {
  return goVersion === revision.versions.go
    ? []
    : [`built with Go ${goVersion}, not the revision's ${revision.versions.go}`];
}

/** Section IV-A: golang:1.22-alpine as the builder, scratch as the base. */
function paperImage(revision: Revision): ImageSpec {
  const dockerfile = `# Built as in the paper (section IV-A): ${revision.images.goBuilder} builder, ${revision.images.goRuntime} runtime.
FROM ${revision.images.goBuilder} AS build
WORKDIR /src
COPY go.mod ./
COPY *.go ./
RUN CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags="-s -w" -o /${BINARY} .

FROM ${revision.images.goRuntime}
${imageLabels("go", "paper", revision)}
COPY --from=build /${BINARY} /${BINARY}
ENV PORT=${APP_PORT}
EXPOSE ${APP_PORT}
ENTRYPOINT ["/${BINARY}"]
`;
  return {
    runtime: "go",
    flavor: "paper",
    tag: imageTag("go", "paper", revision),
    dockerfile,
    context: ["go.mod", "main.go", "info.go"].map((f) => ({ dest: f, source: join(goSourceDir, f) })),
  };
}

export const goRuntime: RuntimeDescriptor = {
  name: "go",
  description: "Go, compiled ahead of time: one static binary (standard library only)",
  pinnedVersion: (revision) => revision.versions.go,
  knobs: {
    goMaxProcs: {
      values: ["runtime-default", "cpus"],
      default: "runtime-default",
      description:
        "runtime-default: Go picks GOMAXPROCS (before Go 1.25 the host's cores, whatever the CPU quota); cpus: GOMAXPROCS = the CPU limit",
    },
  },
  environment: (knobs, resources): Record<string, string> =>
    knobs.goMaxProcs === "cpus" ? { GOMAXPROCS: String(resources.cpus) } : {},
  infoProblems: (info) => (Number(info.gomaxprocs) >= 1 ? [] : [`/info gomaxprocs = ${info.gomaxprocs}`]),
  async executable(inputs) {
    const bin = await goBinary(inputs);
    return { path: bin.path, builtWith: { go: bin.goVersion }, notes: versionNotes(inputs.revision, bin.goVersion) };
  },
  async rootfs(inputs, stagingDir) {
    const bin = await goBinary(inputs);
    rmSync(stagingDir, { recursive: true, force: true });
    mkdirSync(stagingDir, { recursive: true });
    copyFileSync(bin.path, join(stagingDir, BINARY));
    chmodSync(join(stagingDir, BINARY), 0o755);
    return {
      tree: { dir: stagingDir, files: [`/${BINARY}`], command: [`/${BINARY}`] },
      builtWith: { go: bin.goVersion },
      notes: versionNotes(inputs.revision, bin.goVersion),
    };
  },
  paperImage,
  nanosProgram: async (inputs) => ({ path: (await goBinary(inputs)).path, args: [], files: [] }),
  onSut(revision, labDir) {
    const binary = `${labDir}/bin/${BINARY}`;
    return {
      toolchain: `go ${revision.versions.go}`,
      binary,
      dockerBase: `${revision.images.goBuilder} -> ${revision.images.goRuntime}`,
      nanosProgram: { path: binary, args: [], files: [] },
    };
  },
};
