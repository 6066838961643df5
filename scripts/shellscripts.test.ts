import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { run } from "../core/exec";
import { repoRoot } from "../core/paths";
import { shellcheckSkip } from "../core/testing/requirements";

const SKIP_DIRS = new Set(["node_modules", "build", ".cache", "results", ".git"]);

/** Every .sh file of the checkout (what git tracks, where there is git; else the tree). */
function shellFiles(): string[] {
  const tracked = spawnSync("git", ["ls-files", "-z", "--", "*.sh"], { cwd: repoRoot, encoding: "utf8" });
  if (tracked.status === 0 && tracked.stdout !== "") return tracked.stdout.split("\0").filter((f) => f !== "");
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".sh")) found.push(path);
    }
  };
  walk("");
  return found;
}

const scripts = [".ci/run", ...shellFiles()].sort();

describe("the repository's own shell scripts", () => {
  it("include the lab's shell files beside the code, not only scripts/", () => {
    for (const expected of ["scripts/install-system.sh", "infra/bootstrap/helpers.sh", "lab/platforms/gvisor/start.sh"])
      assert.ok(scripts.includes(expected), expected);
  });

  for (const script of scripts) {
    it(`${script} passes shellcheck`, async (t) => {
      const skip = await shellcheckSkip();
      if (skip) return t.skip(skip);
      await run("shellcheck", ["--severity=style", "--external-sources", script], { cwd: repoRoot });
    });
  }
});
