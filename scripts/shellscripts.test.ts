import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { run } from "../core/exec";
import { repoRoot } from "../core/paths";
import { shellcheckSkip } from "../core/testing/requirements";

const scripts = [
  join(repoRoot, ".ci", "run"),
  ...readdirSync(join(repoRoot, "scripts"))
    .filter((f) => f.endsWith(".sh"))
    .map((f) => join(repoRoot, "scripts", f)),
];

describe("the repository's own shell scripts", () => {
  for (const script of scripts) {
    it(`${script.slice(repoRoot.length + 1)} passes shellcheck`, async (t) => {
      const skip = await shellcheckSkip();
      if (skip) return t.skip(skip);
      await run("shellcheck", ["--severity=style", script]);
    });
  }
});
