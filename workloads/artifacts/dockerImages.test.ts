import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readRevision } from "../../core/config/revision";
import { getRuntime } from "../runtimes/registry";
import { offlineImage, writeBuildContext } from "./dockerImages";

const revision = readRevision("paper-2025");
const paperImage = (runtime: string) => {
  const spec = getRuntime(runtime).paperImage?.(revision);
  if (!spec) throw new Error(`${runtime} has no paper image`);
  return spec;
};

describe("Dockerfiles", () => {
  it("build Go as the paper did: golang alpine builder, scratch runtime", () => {
    const spec = paperImage("go");
    assert.match(spec.dockerfile, /^FROM golang:1\.22\.2-alpine AS build$/m);
    assert.match(spec.dockerfile, /^FROM scratch$/m);
    assert.match(spec.dockerfile, /CGO_ENABLED=0 .*go build -trimpath -ldflags="-s -w"/);
    assert.equal(spec.tag, "edgelab-go:paper-2025-paper");
  });

  it("run Node on the pinned official Alpine image", () => {
    const spec = paperImage("node");
    assert.match(spec.dockerfile, /^FROM node:24\.3\.0-alpine$/m);
    assert.match(spec.dockerfile, /^ENTRYPOINT \["node", "\/app\/app\.js"\]$/m);
  });

  it("make offline images from scratch only", () => {
    for (const spec of [
      offlineImage(revision, "go", { dir: "/x/go-rootfs", files: ["/edgeapp-go"], command: ["/edgeapp-go"] }),
      offlineImage(revision, "node", { dir: "/x/rootfs", files: ["/n", "/a"], command: ["/n", "/a"] }),
    ]) {
      const froms = spec.dockerfile.split("\n").filter((l) => l.startsWith("FROM"));
      assert.deepEqual(froms, ["FROM scratch"], spec.tag);
      assert.match(spec.dockerfile, /^EXPOSE 8080$/m);
    }
  });

  it("lay out a build context with the Dockerfile and every file it copies", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ctx-")), "go");
    writeBuildContext(paperImage("go"), dir);
    for (const f of ["Dockerfile", "go.mod", "main.go", "info.go"]) assert.ok(existsSync(join(dir, f)), f);
    assert.equal(readFileSync(join(dir, "Dockerfile"), "utf8"), paperImage("go").dockerfile);
  });
});
