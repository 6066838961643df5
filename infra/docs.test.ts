/**
 * docs/pulumi-lab.md read from the top, as a newcomer follows it: every shell block runs, in the
 * document's order, against stand-ins for what needs a cloud, a backend or root (`pulumi`, `ssh`,
 * `curl`, `npm`, `npx`, `sudo`, `git`), which record their command lines. The journey's calls
 * must be exactly the journey, in order, none missing; no document or message puts a secret on a
 * command line; the time-and-cost table is the program's own plan.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { repoRoot } from "../core/paths";
import { loadRevision } from "../lab/config/revision";
import { estimateTable } from "./estimate";

const DOC = join(repoRoot, "docs", "pulumi-lab.md");
const doc = readFileSync(DOC, "utf8");

/** Every ```sh block with the `##` section it is in, in the document's order. */
function shellBlocks(text: string): { section: string; code: string }[] {
  const blocks: { section: string; code: string }[] = [];
  let section = "";
  let code: string[] | null = null;
  for (const line of text.split("\n")) {
    if (code !== null) {
      if (line.startsWith("```")) {
        blocks.push({ section, code: code.join("\n") });
        code = null;
      } else code.push(line);
    } else if (line.startsWith("```sh")) code = [];
    else if (/^## /.test(line)) section = line.slice(3);
  }
  return blocks;
}

/** A stand-in: records its name and arguments (one line, arguments joined by spaces); never reaches a network. */
const STAND_IN = `#!/usr/bin/env bash
name=$(basename "$0")
line="$name $*"
case "$name $1 $2" in
  "pulumi config set")
    # No value on the line: Pulumi reads it from the prompt, or from standard input.
    if [ "$3" = --secret ] && [ $# -eq 4 ]; then line="$line <stdin $(wc -c | tr -d ' ') bytes>"; fi ;;
esac
printf '%s\\n' "$line" >>"$EDGELAB_DOC_CALLS"
case "$name $1 $2" in
  "pulumi stack output") echo "stand-in-$3" ;;
  "pulumi version "*) echo v3.200.0 ;;
esac
if [ "$name" = curl ]; then echo 81.2.69.160; fi
exit 0
`;

const STANDS_IN = ["pulumi", "ssh", "ssh-add", "curl", "npm", "npx", "sudo", "git"];

/** Runs blocks in one bash session in a home of its own; the recorded calls. */
function runBlocks(blocks: string[], home: string): string[] {
  const bin = join(home, "bin");
  mkdirSync(bin, { recursive: true });
  for (const name of STANDS_IN) {
    writeFileSync(join(bin, name), STAND_IN);
    chmodSync(join(bin, name), 0o755);
  }
  const calls = join(home, "calls");
  writeFileSync(calls, "");
  const r = spawnSync("bash", ["-c", `set -euo pipefail\n${blocks.join("\n")}`], {
    cwd: repoRoot,
    encoding: "utf8",
    input: "the passphrase, typed\n",
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: home,
      EDGELAB_DOC_CALLS: calls,
      SCW_DEFAULT_PROJECT_ID: "5ec7e70a-7e57-4a11-8000-00000000abcd",
    },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `the blocks failed:\n${r.stderr}`);
  return readFileSync(calls, "utf8").trim().split("\n").filter(Boolean);
}

/** The journey in order: every call the document must make, none more, none less. */
const JOURNEY: (string | RegExp)[] = [
  "pulumi version",
  "npm ci",
  "pulumi login --local",
  "pulumi stack init scaleway",
  /^pulumi config set --secret scaleway:accessKey <stdin 0 bytes>$/,
  /^pulumi config set --secret scaleway:secretKey <stdin 0 bytes>$/,
  "pulumi config set scaleway:projectId 5ec7e70a-7e57-4a11-8000-00000000abcd",
  "pulumi config set --path edge-lab:sshAllowedCidrs[0] 81.2.69.160/32",
  /^curl -4s https:\/\/ifconfig\.me$/,
  /^pulumi config set edge-lab:sshPublicKey ssh-ed25519 AAAA\S+ edgelab$/,
  "pulumi preview",
  "pulumi up",
  "pulumi stack output summary",
  "pulumi stack output reportPath",
  "pulumi stack output resultsPath",
  "npm run report",
  "pulumi destroy",
  // The researcher's own KVM machine: pin, install ops (the install script runs it), run the Nanos cells.
  "npx tsx infra/pin.ts --revision paper-2025",
  "git diff revisions/paper-2025.lock.json",
  "sudo bash scripts/install-system.sh",
  "npm run lab -- --profile paper",
  "npm run report",
];

/** `a b` matches a call when equal; a RegExp when it matches. */
const matches = (call: string, want: string | RegExp) => (typeof want === "string" ? call === want : want.test(call));

describe("docs/pulumi-lab.md, read from the top", () => {
  const home = mkdtempSync(join(tmpdir(), "edgelab-doc-"));
  after(() => rmSync(home, { recursive: true, force: true }));
  const blocks = shellBlocks(doc);
  const journeyEnd = blocks.findIndex((b) => b.section.startsWith("Other targets"));

  it("the journey's blocks run in order and make exactly the journey's calls, none missing", () => {
    assert.ok(journeyEnd > 0, "the journey comes before 'Other targets'");
    const calls = runBlocks(
      blocks.slice(0, journeyEnd).map((b) => b.code),
      join(home, "journey"),
    );
    // $(curl ...) runs before the pulumi call it is an argument of.
    const curl = calls.findIndex((c) => c.startsWith("curl "));
    if (curl > 0) calls.splice(curl + 1, 0, ...calls.splice(curl, 1));
    for (const [i, want] of JOURNEY.entries()) {
      assert.ok(i < calls.length, `missing from the document: ${want} (after ${calls[i - 1]})`);
      assert.ok(matches(calls[i] as string, want), `call ${i + 1}: expected ${want}, the document makes ${calls[i]}`);
    }
    assert.equal(calls.length, JOURNEY.length, `calls the journey does not know: ${calls.slice(JOURNEY.length)}`);
    assert.ok(existsSync(join(home, "journey", ".ssh", "edgelab")), "the key is made before it is used");
  });

  it("every other target's block runs: stack, preview before up, the summary, destroy last", () => {
    const others = blocks.slice(journeyEnd).filter((b) => /pulumi up/.test(b.code));
    assert.ok(others.length >= 4, "hcloud, hcloud-baremetal, static and local each have a block");
    for (const [i, block] of others.entries()) {
      const dir = join(home, `target-${i}`);
      mkdirSync(join(dir, ".ssh"), { recursive: true });
      writeFileSync(join(dir, ".ssh", "edgelab"), "a key file\n");
      const calls = runBlocks([block.code], dir).filter((c) => c.startsWith("pulumi "));
      const at = (cmd: string) => calls.findIndex((c) => c.startsWith(cmd));
      assert.match(calls[0] ?? "", /^pulumi stack init \w+$/, block.code);
      assert.ok(
        at("pulumi preview") > 0 && at("pulumi preview") < at("pulumi up"),
        `preview before up:\n${block.code}`,
      );
      assert.ok(at("pulumi stack output summary") > at("pulumi up"), `the summary after up:\n${block.code}`);
      assert.equal(calls.at(-1), "pulumi destroy");
    }
  });

  it("the time and cost table is the program's own plan (npx tsx infra/estimate.ts)", () => {
    const table = /<!-- estimate:begin -->\n([\s\S]*?)\n<!-- estimate:end -->/.exec(doc)?.[1];
    assert.ok(table, "the table's markers");
    // The formatter pads the cells: compare them, not the spaces.
    const cells = (markdown: string) =>
      markdown.split("\n").map((row) =>
        row
          .split("|")
          .map((c) => c.trim().replace(/^-+$/, "---"))
          .join("|"),
      );
    const rows = cells(table);
    assert.deepEqual(rows, cells(estimateTable(loadRevision("paper-2025"), "paper")));
    // Hetzner Cloud has no KVM: its hours count the Nanos cells as skipped, not measured.
    assert.ok(
      rows.some((r) => r.startsWith("|`hcloud`|1|90 (90)|")),
      "hcloud: 90 measured, 90 skipped",
    );
  });
});

/** The stack config keys that hold a secret (infra/providers: credentials, the operator's key). */
const SECRET_KEYS = ["hcloud:token", "scaleway:accessKey", "scaleway:secretKey", "edge-lab:sshPrivateKey"];

/** Files a newcomer reads or a message comes from: the docs, the stack files, the code (tests aside). */
function readable(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", ".git", "build", "results", "reports", ".cache"].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) readable(path, found);
    else if (/\.(md|ts|sh|ya?ml)$/.test(entry.name) && !entry.name.endsWith(".test.ts")) found.push(path);
  }
  return found;
}

describe("no secret on a command line", () => {
  it("no document, stack file or message sets a secret as an argument: by prompt or standard input only", () => {
    const bad: string[] = [];
    for (const file of readable(repoRoot)) {
      const lines = readFileSync(file, "utf8").split("\n");
      for (const [i, line] of lines.entries()) {
        for (const key of SECRET_KEYS) {
          // `pulumi config set [--secret] <key>` followed by anything but a comment, a redirect, a
          // quote's end or the end of the command (a backtick, a bracket) is a value on the line.
          const set = new RegExp(`config set (--secret )?${key.replace(":", "\\:")}( +([^\\s<#\`)'"]\\S*))?`);
          const m = set.exec(line);
          if (m?.[3] !== undefined) bad.push(`${relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
          if (m && m[1] === undefined) bad.push(`${relative(repoRoot, file)}:${i + 1}: ${key} without --secret`);
        }
        // Any key, spelled as a placeholder too (`pulumi config set --secret <key> <value>`).
        if (/config set --secret +[<>\w.:${}-]+ +([^\s<#`)'"\\]|<\S)/.test(line)) {
          bad.push(`${relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
        }
      }
    }
    assert.deepEqual(bad, []);
  });
});
