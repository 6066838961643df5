/** The validator reads through the one reader: broken files, mismatched ids and missing raw folders are problems. */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../core/paths";
import { validateRun } from "./validate";

const fixture = join(repoRoot, "analysis", "fixtures", "quick-run");

describe("validateRun", () => {
  it("names every problem by file and still returns the other cells", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "validate-")), "run");
    cpSync(fixture, dir, { recursive: true });
    const files = readdirSync(join(dir, "cells")).sort();
    // The fixture keeps no raw files: give every cell its raw folder but one.
    for (const file of files) mkdirSync(join(dir, "cells", file.replace(/\.json$/, "")));
    const [truncated, edited] = files as [string, string];
    const rawless = files.find(
      (f) => JSON.parse(readFileSync(join(dir, "cells", f), "utf8")).status === "ok" && f !== truncated && f !== edited,
    ) as string;
    writeFileSync(join(dir, "cells", truncated), readFileSync(join(dir, "cells", truncated), "utf8").slice(0, 50));
    const data = JSON.parse(readFileSync(join(dir, "cells", edited), "utf8"));
    data.spec.repetition = 9;
    writeFileSync(join(dir, "cells", edited), JSON.stringify(data));
    const rawlessCell = JSON.parse(readFileSync(join(dir, "cells", rawless), "utf8"));
    rawlessCell.rawDir = "cells/elsewhere";
    writeFileSync(join(dir, "cells", rawless), JSON.stringify(rawlessCell));

    const report = validateRun(dir);
    assert.equal(report.runId, "try1");
    assert.equal(report.cells.length, 53);
    assert.equal(report.problems.length, 3, report.problems.join("\n"));
    assert.match(report.problems[0] ?? "", new RegExp(`^${join(dir, "cells", truncated)} is not valid JSON`));
    assert.match(
      report.problems[1] ?? "",
      new RegExp(`^${join(dir, "cells", edited)}: id [0-9a-f]{16} does not match its spec`),
    );
    assert.equal(report.problems[2], `${join(dir, "cells", rawless)}: raw folder cells/elsewhere is missing`);
    assert.equal(report.missing.length, 2, "the broken and the edited cell are not yet run");
  });
});
