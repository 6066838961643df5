import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { paperRunOptions, writeSyntheticRun } from "./fixtures/synthetic";
import { newestRun, readRuns } from "./read";
import { buildScenarios } from "./scenarios";

const root = mkdtempSync(join(tmpdir(), "analysis-read-"));
const cellFiles = (runDir: string) =>
  readdirSync(join(runDir, "cells"))
    .filter((f) => f.endsWith(".json"))
    .sort();

describe("readRuns", () => {
  it("names a broken or partial cell file and still uses every other cell", () => {
    const runDir = writeSyntheticRun(root, paperRunOptions("broken", 1));
    const [first, second] = cellFiles(runDir);
    assert.ok(first && second);
    const truncated = join(runDir, "cells", first);
    writeFileSync(truncated, readFileSync(truncated, "utf8").slice(0, 200)); // a half-written file
    const wrong = join(runDir, "cells", second);
    const data = JSON.parse(readFileSync(wrong, "utf8")) as Record<string, unknown>;
    delete data.status;
    writeFileSync(wrong, JSON.stringify(data));

    const input = readRuns([runDir]);
    assert.equal(input.errors.length, 2);
    assert.match(
      input.errors[0] ?? "",
      new RegExp(`${first} is not valid JSON, truncated or damaged .*; the cell is left out$`),
    );
    assert.match(input.errors[1] ?? "", new RegExp(`${second} is not a cell result: status = missing is not allowed`));
    assert.equal(input.cells.length, 58, "the other 58 of 60 cells are used");
    assert.ok(input.warnings.some((w) => w.includes("partial") && w.includes("2 of 60")));
  });

  it("uses a cell whose id does not match its spec, merged by its recorded id, with a warning naming the file", () => {
    const runDir = writeSyntheticRun(root, paperRunOptions("edited", 1));
    const [first] = cellFiles(runDir);
    assert.ok(first);
    const path = join(runDir, "cells", first);
    const data = JSON.parse(readFileSync(path, "utf8")) as { spec: { cpus: number } };
    data.spec.cpus = 64;
    writeFileSync(path, JSON.stringify(data));
    const input = readRuns([runDir]);
    assert.equal(input.cells.length, 60);
    assert.deepEqual(input.errors, []);
    assert.ok(
      input.warnings.some(
        (w) =>
          w.startsWith(`${path}: id ${first.slice(0, 16)} does not match its spec`) &&
          w.endsWith("merged by the recorded id"),
      ),
      input.warnings.join("\n"),
    );
  });

  it("refuses a path that is not a run folder, naming it", () => {
    const missing = join(root, "no-such-run");
    assert.throws(() => readRuns([missing]), new RegExp(`${missing} is not a run folder: it does not exist`));
    const empty = join(root, "empty");
    mkdirSync(empty);
    assert.throws(() => readRuns([empty]), new RegExp(`${empty} is not a run folder: manifest.json is missing`));
    const brokenManifest = writeSyntheticRun(root, { ...paperRunOptions("bad-manifest", 1), keep: () => false });
    writeFileSync(join(brokenManifest, "manifest.json"), "{");
    assert.throws(
      () => readRuns([brokenManifest]),
      new RegExp(`${brokenManifest} is not a usable run folder: manifest.json is not valid JSON`),
    );
    const file = join(root, "file.txt");
    writeFileSync(file, "x");
    assert.throws(() => readRuns([file]), /is not a run folder: it is a file/);
  });

  it("merges runs by cell id: a repeated id is kept once (the first) with a warning, new repetitions add up", () => {
    const a = writeSyntheticRun(root, paperRunOptions("merge-a", 2));
    const b = writeSyntheticRun(root, { ...paperRunOptions("merge-b", 3), seed: 9 });
    const input = readRuns([a, b]);
    assert.equal(input.cells.length, 60 * 3, "reps 1-2 from a, rep 3 from b");
    const duplicates = input.warnings.filter((w) => w.includes("is in both merge-a and merge-b"));
    assert.equal(duplicates.length, 60 * 2);
    assert.ok(input.cells.filter((c) => c.cell.spec.repetition <= 2).every((c) => c.runId === "merge-a"));
    const scenarios = buildScenarios(input.cells);
    assert.equal(scenarios.length, 60);
    assert.ok(scenarios.every((s) => s.cells.length === 3));
  });

  it("finds the newest run by its manifest time", () => {
    const results = join(root, "results");
    writeSyntheticRun(results, {
      ...paperRunOptions("older", 1),
      createdAt: "2025-01-01T00:00:00.000Z",
      keep: () => false,
    });
    const newer = writeSyntheticRun(results, {
      ...paperRunOptions("newer", 1),
      createdAt: "2025-06-01T00:00:00.000Z",
      keep: () => false,
    });
    mkdirSync(join(results, "not-a-run"));
    assert.equal(newestRun(results), newer);
    assert.equal(newestRun(join(root, "nothing-here")), null);
  });

  it("finds a Pulumi lab's run one level down (results/<stack>/<runId>), not two", () => {
    const results = join(root, "results-stacks");
    writeSyntheticRun(results, {
      ...paperRunOptions("local", 1),
      createdAt: "2025-01-01T00:00:00.000Z",
      keep: () => false,
    });
    const pulled = writeSyntheticRun(join(results, "scaleway"), {
      ...paperRunOptions("scaleway-paper-2025-paper-1a2b3c4d", 1),
      createdAt: "2025-06-01T00:00:00.000Z",
      keep: () => false,
    });
    writeSyntheticRun(join(results, "a", "b"), {
      ...paperRunOptions("too-deep", 1),
      createdAt: "2025-12-01T00:00:00.000Z",
      keep: () => false,
    });
    assert.equal(newestRun(results), pulled);
    assert.equal(newestRun(join(results, "scaleway")), pulled, "a stack's own folder is a results root too");
  });
});
