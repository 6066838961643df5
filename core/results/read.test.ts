/**
 * The one reader of a results folder, on a copy of a real run (analysis/fixtures/quick-run, 54
 * cells recorded by the local runner): every problem names its file, and a broken file never
 * hides the other cells.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../paths";
import { localArtifactRef, portableArtifactRef } from "./artifactRefs";
import { readCells, readManifest, readRunFolder, recordedCellIds, statusCounts } from "./read";

const fixture = join(repoRoot, "analysis", "fixtures", "quick-run");
const root = mkdtempSync(join(tmpdir(), "core-results-read-"));
let copies = 0;

function copyOfRun(): { dir: string; files: string[] } {
  const dir = join(root, `run-${++copies}`);
  cpSync(fixture, dir, { recursive: true });
  return { dir, files: readdirSync(join(dir, "cells")).sort() };
}

describe("readCells / readRunFolder", () => {
  it("reads every cell of a real run, all sound and all planned", () => {
    const run = readRunFolder(copyOfRun().dir);
    assert.equal(run.cells.length, 54);
    assert.deepEqual(run.broken, []);
    assert.ok(run.cells.every((c) => c.mismatches.length === 0));
    assert.deepEqual(run.missing, []);
    assert.deepEqual(run.unplanned, []);
    assert.equal(
      Object.values(statusCounts(run)).reduce((a, b) => a + b, 0),
      54,
    );
  });

  it("names a truncated cell file and an empty one, and still reads the others", () => {
    const { dir, files } = copyOfRun();
    const [first, second] = files as [string, string];
    const truncated = join(dir, "cells", first);
    writeFileSync(truncated, readFileSync(truncated, "utf8").slice(0, 120));
    writeFileSync(join(dir, "cells", second), "");
    const read = readCells(dir);
    assert.equal(read.cells.length, 52);
    assert.equal(read.broken.length, 2);
    assert.match(read.broken[0] ?? "", new RegExp(`^${truncated} is not valid JSON, truncated or damaged \\(`));
    assert.equal(read.broken[1], `${join(dir, "cells", second)} is empty (a write that never finished?)`);
    assert.equal(statusCounts(read).unreadable, 2);
    const run = readRunFolder(dir);
    assert.equal(run.missing.length, 2, "the two broken cells are missing from the run");
    assert.equal(recordedCellIds(dir).size, 52);
  });

  it("names a cell whose id does not match its spec, and a file holding another cell", () => {
    const { dir, files } = copyOfRun();
    const [first, second] = files as [string, string];
    const changed = join(dir, "cells", first);
    const data = JSON.parse(readFileSync(changed, "utf8"));
    data.spec.memoryMB = 4096; // edited after the fact: the id no longer hashes its spec
    writeFileSync(changed, JSON.stringify(data));
    const moved = join(dir, "cells", second);
    const other = JSON.parse(readFileSync(join(dir, "cells", files[2] as string), "utf8"));
    writeFileSync(moved, JSON.stringify(other));

    const read = readCells(dir);
    const byFile = new Map(read.cells.map((c) => [c.file, c.mismatches]));
    assert.match(
      (byFile.get(changed) ?? []).join("\n"),
      new RegExp(`^${changed}: id ${first.slice(0, 16)} does not match its spec \\(the spec's id is [0-9a-f]{16}\\)$`),
    );
    assert.deepEqual(byFile.get(moved), [`${moved} holds cell ${other.id} (${other.name}), not ${second}`]);
    assert.ok(!recordedCellIds(dir).has(first.slice(0, 16)), "a resume runs the edited cell again");
  });

  it("names what is wrong with a cell that breaks the schema", () => {
    const { dir, files } = copyOfRun();
    const path = join(dir, "cells", files[0] as string);
    const data = JSON.parse(readFileSync(path, "utf8"));
    data.status = "exploded";
    delete data.wallS;
    writeFileSync(path, JSON.stringify(data));
    const [problem] = readCells(dir).broken;
    assert.match(problem ?? "", new RegExp(`^${path} is not a cell result: status = "exploded" is not allowed: `));
    assert.match(problem ?? "", /wallS = missing is not allowed/);
  });
});

describe("readManifest", () => {
  it("names the folder and the problem", () => {
    const missing = join(root, "nothing");
    assert.throws(() => readManifest(missing), {
      name: "InputError",
      message: `${missing} is not a run folder: it does not exist`,
    });
    const { dir } = copyOfRun();
    writeFileSync(join(dir, "manifest.json"), '{"schemaVersion": 1, "runId": 7');
    assert.throws(() => readManifest(dir), {
      message: new RegExp(`^${dir} is not a usable run folder: manifest.json is not valid JSON, truncated or damaged`),
    });
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ schemaVersion: 1, runId: 7 }));
    assert.throws(() => readManifest(dir), {
      message: new RegExp(`^${dir} is not a usable run folder: manifest.json: runId = 7 is not allowed: `),
    });
    rmSync(join(dir, "manifest.json"));
    assert.throws(() => readManifest(dir), /manifest.json is missing \(expected <results>\/<runId>\/manifest.json\)/);
  });

  it("reads an older manifest's absolute artifact paths relative to the repository", () => {
    const { dir } = copyOfRun();
    const path = join(dir, "manifest.json");
    const data = JSON.parse(readFileSync(path, "utf8"));
    data.artifacts[0].ref = "/home/someone/lab-checkout/build/artifacts/paper-2025/bin/edgeapp-go";
    writeFileSync(path, JSON.stringify(data));
    const artifacts = readManifest(dir).artifacts;
    assert.equal(artifacts[0]?.ref, "build/artifacts/paper-2025/bin/edgeapp-go");
    assert.equal(artifacts[1]?.ref, "edgelab-go:paper-2025-offline", "an image tag stays as it is");
  });
});

describe("artifact refs", () => {
  it("records paths under the checkout's build folder relative to it, and resolves them back here", () => {
    const abs = join(repoRoot, "build", "artifacts", "r", "bin", "edgeapp-go");
    assert.equal(portableArtifactRef(abs), "build/artifacts/r/bin/edgeapp-go");
    assert.equal(localArtifactRef("build/artifacts/r/bin/edgeapp-go"), abs);
    assert.equal(portableArtifactRef("/root/.ops/images/edgelab-go"), "/root/.ops/images/edgelab-go");
    assert.equal(localArtifactRef("edgelab-go:paper-2025-offline"), "edgelab-go:paper-2025-offline");
  });
});
