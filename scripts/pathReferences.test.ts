/**
 * Every repository path the code's comments and the docs name exists: a reader who follows one
 * finds the file. Checked: paths that start at a top-level folder of the repository
 * (`lab/load/sweep.ts`, `docs/design.md`, `core/load/`), and the docs' relative links.
 * Placeholders end a path (`results/<runId>/`, `lab/platforms/{kvm,nanos}.ts` check the folder),
 * and a path inside another one (`/opt/edgelab/lab/...`, a host's) is not the repository's.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../core/paths";

/** Folders at the repository's top that code and docs point into. */
const TOP = ["core", "lab", "workloads", "infra", "analysis", "bench", "scripts", "docs", "k6", "revisions"];
/** Files read here: sources, scripts, docs and config. */
const READ = /\.(ts|js|cjs|sh|lua|go|md|ya?ml)$/;
/** What the lab writes or downloads, and captured tool output (its paths are the tools'). */
const SKIP = new Set(["node_modules", ".git", "build", ".cache", "results", "reports", "fixtures"]);

/** `lab/load/sweep.ts`, not preceded by a path character (a host's /opt/edgelab/lab/... is not one). */
const TOP_PATH = new RegExp(`(?<![\\w./~$}-])((?:${TOP.join("|")})/[\\w./-]*)`, "g");
/** A Markdown link's target: relative ones are checked. */
const MD_LINK = /\]\(([^)\s]+)\)/g;

function files(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files(path, found);
    else if (READ.test(entry.name)) found.push(path);
  }
  return found;
}

/**
 * The text of a file's comments, the rest blanked (line breaks kept, so line numbers hold): a path
 * in code (a module name, a test's made-up path) is the code's business; a comment's is a pointer.
 * Docs are read whole.
 */
export function commentText(file: string, text: string): string {
  if (file.endsWith(".md")) return text;
  const comment = /\.(sh|ya?ml)$/.test(file)
    ? /#[^\n]*/g
    : file.endsWith(".lua")
      ? /--[^\n]*/g
      : /\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;
  const kept = [...text.matchAll(comment)];
  let out = "";
  let last = 0;
  for (const match of kept) {
    out += text.slice(last, match.index).replace(/[^\n]/g, " ") + match[0];
    last = match.index + match[0].length;
  }
  return out + text.slice(last).replace(/[^\n]/g, " ");
}

/** Whether `path` exists; followed by a placeholder or a glob (`*`, `{`, `<`), whether something starts so. */
function exists(path: string, next: string): boolean {
  if (existsSync(join(repoRoot, path))) return true;
  if (!/^[*{<[]/.test(next) || path.endsWith("/")) return false;
  const dir = join(repoRoot, dirname(path));
  const start = path.split("/").pop() ?? "";
  return existsSync(dir) && readdirSync(dir).some((name) => name.startsWith(start));
}

/** Paths a file's comments (a doc: its text) name that do not exist, each with its line. */
export function missingReferences(file: string, text: string): string[] {
  const missing: string[] = [];
  const scanned = commentText(file, text);
  const at = (index: number) => text.slice(0, index).split("\n").length;
  for (const match of scanned.matchAll(TOP_PATH)) {
    // A sentence's full stop or a trailing dot is no part of the path.
    const path = (match[1] as string).replace(/\.+$/, "");
    const next = scanned.charAt(match.index + (match[1] as string).length);
    if (!exists(path, next)) missing.push(`${relative(repoRoot, file)}:${at(match.index)}: ${path}`);
  }
  if (file.endsWith(".md")) {
    for (const match of text.matchAll(MD_LINK)) {
      const target = (match[1] as string).split("#")[0] as string;
      if (target === "" || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // an anchor, a URL
      if (!existsSync(resolve(dirname(file), target))) {
        missing.push(`${relative(repoRoot, file)}:${at(match.index)}: link ${target}`);
      }
    }
  }
  return missing;
}

describe("references to repository paths", () => {
  const all = files(repoRoot);

  it("reads the sources and the docs", () => assert.ok(all.length > 200, `${all.length} files`));

  it("finds a path that does not exist, and passes one that does", () => {
    const file = join(repoRoot, "docs", "x.md");
    assert.deepEqual(missingReferences(file, "see lab/config/checked.ts and [a](gone.md)"), [
      "docs/x.md:1: lab/config/checked.ts",
      "docs/x.md:1: link gone.md",
    ]);
    assert.deepEqual(
      missingReferences(
        file,
        "see `lab/load/sweep.ts`, `lab/runner/faults*.ts`, /opt/edgelab/lab/none.ts and [b](architecture.md#lab).",
      ),
      [],
    );
    const code = join(repoRoot, "lab", "x.ts");
    // Written in pieces, so this file holds no such comment itself.
    const source = ['import "k6/http"; /', "/ see lab/gone.ts\n/", "* and core/gone/ *", "/"].join("");
    assert.deepEqual(missingReferences(code, source), ["lab/x.ts:1: lab/gone.ts", "lab/x.ts:2: core/gone/"]);
  });

  it("the design document is the repository's own: docs/design.md", () => {
    const outside = all.flatMap((file) =>
      [...commentText(file, readFileSync(file, "utf8")).matchAll(/(?<![\w/])D[E]SIGN\.md/g)].map(
        () => `${relative(repoRoot, file)} names a design file outside the repository: point at docs/design.md`,
      ),
    );
    assert.deepEqual(outside, []);
  });

  it("every path named in the code and the docs exists", () => {
    const missing = all.flatMap((file) => missingReferences(file, readFileSync(file, "utf8")));
    assert.deepEqual(missing, []);
  });
});
