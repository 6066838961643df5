/**
 * The time and cost of a run on each target, from the program's own plan (`estimateRun`, the same
 * numbers `pulumi preview` prints per pair): cells measured and skipped, hours, euros per hour and
 * for the run, and the date of each price. docs/pulumi-lab.md carries this table; a test fails
 * when the two differ.
 *
 *   npx tsx infra/estimate.ts [--revision paper-2025] [--profile paper]
 */
import { parseFlags, runMain } from "../core/cli/args";
import type { Revision } from "../core/config/revision";
import { loadRevision } from "../lab/config/revision";
import { parseLabConfig } from "./config";
import { estimateRun } from "./stackPlan";

/**
 * Only the shape of an OpenSSH private key without a passphrase (hcloud-baremetal asks for one):
 * the estimate connects to nothing, and no real key is ever read for it.
 */
const KEY_SHAPE = (() => {
  const magic = Buffer.from("openssh-key-v1\0", "latin1");
  const cipher = Buffer.from("none", "latin1");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(cipher.length);
  const body = Buffer.concat([magic, length, cipher]).toString("base64");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
})();

/** A public address outside every range the config refuses; never contacted. */
const SOURCE = ["81.2.69.160/32"];

/** The targets the table shows, each with a stack config as small as the target takes. */
const ROWS: { label: string; raw: Record<string, unknown> }[] = [
  { label: "`scaleway`", raw: { target: "scaleway", sshAllowedCidrs: SOURCE } },
  { label: "`scaleway`", raw: { target: "scaleway", sshAllowedCidrs: SOURCE, pairs: 3 } },
  { label: "`hcloud`", raw: { target: "hcloud", sshAllowedCidrs: SOURCE } },
  { label: "`hcloud`", raw: { target: "hcloud", sshAllowedCidrs: SOURCE, pairs: 3 } },
  {
    label: "`hcloud-baremetal` (+ your server)",
    raw: {
      target: "hcloud-baremetal",
      sshAllowedCidrs: SOURCE,
      sut: { address: "81.2.69.1" },
      sshPrivateKey: KEY_SHAPE,
    },
  },
];

const euros = (n: number | null, digits: number) => (n === null ? "unknown" : `€${n.toFixed(digits)}`);

/** The table in Markdown, one row per target and pair count. */
export function estimateTable(revision: Revision, profile: string): string {
  const lines = [
    "| target | pairs | cells measured (skipped) | hours: sweep + bootstrap | EUR/hour | paper run | prices as of |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of ROWS) {
    const config = parseLabConfig({ ...row.raw, revision: revision.id, profile }, "estimate");
    const e = estimateRun(config, revision);
    const pairs = e.pairs.length;
    lines.push(
      `| ${row.label} | ${pairs} | ${e.cells - e.skippedCells} (${e.skippedCells}) | ${e.cost.sweepHours} + ${e.cost.bootstrapHours} | ${euros(e.cost.perHourEur, 3)} | ${euros(e.cost.runEur, 2)} | ${e.cost.pricesAsOf ?? "unknown"} |`,
    );
  }
  return lines.join("\n");
}

if (require.main === module) {
  runMain(async () => {
    const values = parseFlags(
      { revision: { type: "string", default: "paper-2025" }, profile: { type: "string", default: "paper" } },
      "usage: npx tsx infra/estimate.ts [--revision ID|FILE] [--profile NAME]",
    );
    process.stdout.write(`${estimateTable(loadRevision(values.revision), values.profile)}\n`);
  });
}
