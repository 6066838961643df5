/**
 * The packages import one way (docs/architecture.md): core/ <- workloads/ <- lab/ <- infra/,
 * analysis/, bench/. The engine reaches the report through one seam, and the Pulumi lab takes
 * nothing from the runner or the report. Tests may import across (they check one against another).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../core/paths";

const TOP = ["core", "workloads", "lab", "infra", "analysis", "bench", "scripts"];

/** What each package may import besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  workloads: ["core"],
  lab: ["core", "workloads"],
  infra: ["core", "workloads", "lab"],
  analysis: ["core", "workloads", "lab"],
  bench: ["core", "workloads", "lab", "analysis", "infra"],
  // Entry points of their own (the install script's plugin installs read the registries and the lock).
  scripts: ["core", "workloads", "lab", "infra"],
};

/** Imports that cross the line on purpose, each with its reason. */
const SEAMS: Record<string, string> = {
  "lab/runner/afterRun.ts -> analysis/afterRun": "the report after a run, loaded only then",
};

/** Folders of the lab's that infra/ must not reach into: the runner and the report. */
const NOT_FOR_INFRA = ["lab/runner/", "analysis/"];

function sources(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "fixtures") sources(path, found);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) found.push(path);
  }
  return found;
}

/** Every relative module a file imports (static and dynamic), as repository paths without extension. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1] as string);
  return specs.map((spec) => relative(repoRoot, resolve(dirname(file), spec)).replace(/\.js$/, ""));
}

describe("imports run one way", () => {
  const files = TOP.flatMap((top) => sources(join(repoRoot, top)));

  it("finds the sources", () => assert.ok(files.length > 100, `${files.length} files`));

  it("no package imports one above it, except the named seams", () => {
    const wrong: string[] = [];
    for (const file of files) {
      const from = relative(repoRoot, file);
      const own = from.split("/")[0] as string;
      for (const target of importsOf(file)) {
        const top = target.split("/")[0] as string;
        if (top === own || !TOP.includes(top) || ALLOWED[own]?.includes(top)) continue;
        if (SEAMS[`${from} -> ${target}`]) continue;
        wrong.push(`${from} imports ${target}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("the Pulumi lab takes nothing from the runner or the report", () => {
    const wrong = files
      .filter((f) => relative(repoRoot, f).startsWith("infra/"))
      .flatMap((f) =>
        importsOf(f)
          .filter((t) => NOT_FOR_INFRA.some((p) => t.startsWith(p)))
          .map((t) => `${relative(repoRoot, f)} imports ${t}`),
      );
    assert.deepEqual(wrong, []);
  });
});
