/**
 * The paper's claims on the report's first screen, as HTML and as Markdown: what this run can say
 * about them. The claims it measured are listed with their verdicts; the rest collapse into one
 * line per reason (claimReasons.ts); the local analogues this run answered take their place;
 * every claim, one per row, stays one click away.
 */
import type { Analysis } from "./analyze";
import { groupLine, unansweredAnalogueLines } from "./claimReasons";
import { analoguesHtml, analoguesMarkdown } from "./explainReport";
import { escapeHtml as e } from "./format";
import { htmlTable, markdownTable } from "./table";
import { claimsTable } from "./tables";

function counts(a: Analysis) {
  const is = (v: string) => a.claims.filter((c) => c.verdict === v).length;
  const reproduced = is("reproduced");
  const notReproduced = is("not reproduced");
  return { reproduced, notReproduced, measured: reproduced + notReproduced, total: a.claims.length };
}

/** The sentence over the reasons: how many claims this run can measure and how they came out. */
export function claimsSummary(a: Analysis): string {
  const c = counts(a);
  if (c.total === 0) return "The reference lists no claim.";
  if (c.measured === 0) return `None of the paper's ${c.total} claims can be measured in this run:`;
  const verdicts = `${c.reproduced} reproduced, ${c.notReproduced} not reproduced`;
  return c.measured === c.total
    ? `All ${c.total} of the paper's claims are measured here: ${verdicts}.`
    : `${c.measured} of the paper's ${c.total} claims are measured here (${verdicts}); the other ${c.total - c.measured} cannot be:`;
}

/** The glance card: value and key. */
export function claimsCard(a: Analysis): [string, string] {
  const c = counts(a);
  if (c.measured === 0) return [`0 of ${c.total}`, "paper claims measurable here"];
  return [`${c.reproduced} / ${c.notReproduced}`, `claims reproduced / not (${c.measured} of ${c.total} measurable)`];
}

const answered = (a: Analysis) => a.analogues.filter((x) => x.verdict !== "not measured");

export function claimsHtml(a: Analysis): string {
  const measured = a.claims.filter((c) => c.verdict !== "not measured");
  const parts = [`<h2 id="claims">The paper's claims in this run</h2>`, `<p>${e(claimsSummary(a))}</p>`];
  if (a.unmeasured.length > 0) {
    const line = (g: (typeof a.unmeasured)[number]) => {
      const text = groupLine(g);
      const head = text.slice(0, text.indexOf(" ", text.indexOf(" ") + 1));
      return `<li><strong>${e(head)}</strong>${e(text.slice(head.length))}</li>`;
    };
    parts.push(`<ul class="reasons">${a.unmeasured.map(line).join("")}</ul>`);
  }
  if (measured.length > 0) parts.push(htmlTable(claimsTable(a, measured)));
  const local = answered(a);
  parts.push(
    local.length > 0
      ? analoguesHtml(local)
      : `<h3>Local analogues</h3>\n<p class="muted">This run answers none of the local analogues either (questions like the paper's, asked over platform classes):</p>`,
  );
  const unanswered = unansweredAnalogueLines(a.analogues);
  if (unanswered.length > 0)
    parts.push(`<ul class="reasons muted">${unanswered.map((l) => `<li>${e(l)}</li>`).join("")}</ul>`);
  parts.push(
    `<details><summary>Every claim of the paper (${a.claims.length}), with its quote, its check and what each verdict rests on</summary>${htmlTable(claimsTable(a))}</details>`,
  );
  return parts.join("\n");
}

export function claimsMarkdown(a: Analysis): string {
  const measured = a.claims.filter((c) => c.verdict !== "not measured");
  const out = ["## The paper's claims in this run", "", claimsSummary(a), ""];
  if (a.unmeasured.length > 0) out.push(...a.unmeasured.map((g) => `- ${groupLine(g)}`), "");
  if (measured.length > 0) out.push(markdownTable(claimsTable(a, measured)), "");
  const local = answered(a);
  if (local.length > 0) out.push(analoguesMarkdown(local));
  else
    out.push(
      "This run answers none of the local analogues either (questions like the paper's, asked over platform classes):",
      "",
    );
  const unanswered = unansweredAnalogueLines(a.analogues);
  if (unanswered.length > 0) out.push(...unanswered.map((l) => `- ${l}`), "");
  out.push(`### Every claim of the paper (${a.claims.length})`, "", markdownTable(claimsTable(a)), "");
  return out.join("\n");
}
