import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyze } from "./analyze";
import { allFigures } from "./figureSpecs";
import { paperRunOptions, writeSyntheticRun } from "./fixtures/synthetic";
import { loadPaperReference } from "./paperReference";
import { readRuns } from "./read";
import { renderFigure } from "./render";
async function main() {
const root = mkdtempSync(join(tmpdir(), "an-"));
const dir = process.argv[2] ?? writeSyntheticRun(root, paperRunOptions("paper-synth"));
const a = analyze(readRuns([dir]), loadPaperReference());
const figs = allFigures(a.scenarios, a.sizes, a.reference);
const out = "/tmp/an/figs"; mkdirSync(out, { recursive: true });
for (const f of figs) {
  const t = performance.now();
  const r = await renderFigure(f);
  writeFileSync(join(out, `${f.id}.svg`), r.svg); writeFileSync(join(out, `${f.id}.png`), r.png);
  console.log(f.id, (performance.now() - t).toFixed(0), "ms");
}
}
main();
