import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readRevision } from "../../core/config/revision";
import { goOfflineImage, goPaperImage, nodeOfflineImage, nodePaperImage, writeBuildContext } from "./dockerImages";

const revision = readRevision("paper-2025");
const appScript = join(__dirname, "..", "node", "app.js");

describe("Dockerfiles", () => {
  it("build Go as the paper did: golang alpine builder, scratch runtime", () => {
    const spec = goPaperImage(revision);
    assert.match(spec.dockerfile, /^FROM golang:1\.22\.2-alpine AS build$/m);
    assert.match(spec.dockerfile, /^FROM scratch$/m);
    assert.match(spec.dockerfile, /CGO_ENABLED=0 .*go build -trimpath -ldflags="-s -w"/);
    assert.equal(spec.tag, "edgelab-go:paper-2025-paper");
  });

  it("run Node on the pinned official Alpine image", () => {
    const spec = nodePaperImage(revision, appScript);
    assert.match(spec.dockerfile, /^FROM node:24\.3\.0-alpine$/m);
    assert.match(spec.dockerfile, /^ENTRYPOINT \["node", "\/app\/app\.js"\]$/m);
  });

  it("make offline images from scratch only", () => {
    for (const spec of [
      goOfflineImage(revision, "/x/edgeapp-go"),
      nodeOfflineImage(revision, "/x/rootfs", ["/n", "/a"]),
    ]) {
      const froms = spec.dockerfile.split("\n").filter((l) => l.startsWith("FROM"));
      assert.deepEqual(froms, ["FROM scratch"], spec.tag);
      assert.match(spec.dockerfile, /^EXPOSE 8080$/m);
    }
  });

  it("lay out a build context with the Dockerfile and every file it copies", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ctx-")), "go");
    writeBuildContext(goPaperImage(revision), dir);
    for (const f of ["Dockerfile", "go.mod", "main.go", "info.go"]) assert.ok(existsSync(join(dir, f)), f);
    assert.equal(readFileSync(join(dir, "Dockerfile"), "utf8"), goPaperImage(revision).dockerfile);
  });
});
