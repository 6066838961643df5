/**
 * `npm run report` end to end on a real local quick run (analysis/fixtures/quick-run: the cell
 * files and manifest of a `npm run lab -- --profile quick` run on a 2-core Debian VM, native and
 * Docker; Nanos skipped there), then the report opened in headless Chromium: every figure must
 * have rendered, the page must not reach the network, and its first screen must say only what
 * the run can say. A run in the shape of today's quick profile (knob variants on three
 * platforms) checks Figures 12 and 13 as a reader sees them, and a floor run of known floors its
 * memory floor figure; the screenshots are kept and named.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { run } from "../core/exec";
import { repoRoot } from "../core/paths";
import { skipUnlessTool } from "../core/testing/requirements";
import { writeFloorRun } from "./fixtures/floorRun";
import { writeQuickShapedRun } from "./fixtures/quickShaped";

const fixture = join(__dirname, "fixtures", "quick-run");
const tmp = mkdtempSync(join(tmpdir(), "analysis-it-"));

async function report(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "analysis/cli.ts", ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, INIT_CWD: repoRoot },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c) => {
    stdout += c;
  });
  child.stderr?.on("data", (c) => {
    stderr += c;
  });
  const [code] = await once(child, "exit");
  return { code: code as number | null, stdout, stderr };
}

/** Debian's chromium, offline and without a sandbox (root in a container). */
async function launch(): Promise<Browser> {
  const executablePath = (await run("sh", ["-c", "command -v chromium"])).stdout.trim();
  return chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * What a reader sees of the claims in the first 900 px of a 1400 px wide window. (No named
 * function inside evaluate: tsx would wrap it in a helper the page does not have.)
 */
async function firstScreen(page: Page) {
  return page.evaluate(() => {
    const inView = [...document.querySelectorAll("h2, ul.reasons li, .badge")].filter((el) => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && box.top < 900;
    });
    return {
      headings: inView.filter((el) => el.matches("h2")).map((el) => el.textContent ?? ""),
      reasons: inView.filter((el) => el.matches("ul.reasons li")).map((el) => el.textContent ?? ""),
      notMeasured: inView.filter((el) => el.matches(".badge") && el.textContent === "not measured").length,
    };
  });
}

const reportPath = (stdout: string) => {
  const path = /^report: (.+)$/m.exec(stdout)?.[1];
  assert.ok(path, `no report path in:\n${stdout}`);
  return path;
};

describe("npm run report", () => {
  const results = join(tmp, "results");
  const reports = join(tmp, "reports");
  cpSync(fixture, join(results, "try1"), { recursive: true });
  let htmlPath = "";

  it("with no run folder uses the newest run under results/ and says so", async () => {
    const { code, stdout, stderr } = await report(["--results", results, "--out", reports]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, new RegExp(`no run folder given: using the newest run under .*: ${join(results, "try1")}`));
    htmlPath = reportPath(stdout);
    assert.equal(htmlPath, join(reports, "try1", "report.html"));
    assert.match(stderr, /platform nanos: all 18 cells were skipped \(nanos: ops not installed\)/);
    for (const f of ["report.md", "cells.csv", "scenarios.csv"]) assert.ok(existsSync(join(reports, "try1", f)), f);
  });

  it("refuses a path that is not a run folder, naming it", async () => {
    const bad = join(tmp, "not-a-run");
    const { code, stderr } = await report([bad, "--out", reports]);
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`${bad} is not a run folder`));
  });

  it("names a corrupted cell file and reports every other cell", async () => {
    const broken = join(tmp, "broken");
    cpSync(fixture, broken, { recursive: true });
    const file = readdirSync(join(broken, "cells")).sort()[0] ?? "";
    writeFileSync(join(broken, "cells", file), "{ not json");
    const { code, stdout, stderr } = await report([broken, "--out", reports, "--name", "broken"]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, new RegExp(`error: ${join(broken, "cells", file)} is not valid JSON, truncated or damaged`));
    assert.match(stdout, /read 53 cells .*\(1 file\(s\) could not be used\)/);
    assert.match(readFileSync(reportPath(stdout), "utf8"), new RegExp(`1 file\\(s\\) could not be used.*${file}`, "s"));
  });

  it("renders every figure in headless Chromium, offline, and saves a screenshot", async (t) => {
    const skip = await skipUnlessTool("chromium", ["--version"], "apt-get install chromium");
    if (skip) return t.skip(skip);
    assert.ok(htmlPath, "the first test wrote the report");
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 4000 } });
      const external: string[] = [];
      await page.route(/^(?!file:)/, (route) => {
        external.push(route.request().url());
        return route.abort();
      });
      await page.goto(`file://${htmlPath}`, { waitUntil: "load" });
      await page.setViewportSize({ width: 1400, height: 900 });
      const first = await firstScreen(page);
      assert.equal(first.notMeasured, 0, "no 'not measured' row on the first screen");
      assert.ok(first.headings.includes("The paper's claims in this run"), `first screen: ${first.headings}`);
      assert.deepEqual(
        first.reasons.map((r) => r.replace(/ need.*/, "")),
        ["27 claims", "4 claims"],
        "one line per reason why claims cannot be measured",
      );
      const firstShot = join(tmp, "report-first-screen.png");
      await page.screenshot({ path: firstShot });
      process.stdout.write(`# screenshot of the report's first screen: ${firstShot}\n`);
      await page.setViewportSize({ width: 1400, height: 4000 });
      const figures = await page.evaluate(() =>
        [...document.querySelectorAll("figure")].map((figure) => {
          const svg = figure.querySelector("svg");
          const box = svg?.getBoundingClientRect();
          return {
            id: figure.id,
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            marks:
              svg?.querySelectorAll(".mark-symbol path, .mark-rect path, .mark-line path, .mark-rule line").length ?? 0,
            axes: svg?.querySelectorAll(".role-axis").length ?? 0,
          };
        }),
      );
      const expected = readdirSync(join(reports, "try1", "figures")).filter((f) => f.endsWith(".svg")).length;
      assert.equal(figures.length, expected, "one <figure> per figure file");
      assert.ok(expected >= 10, `only ${expected} figures`);
      for (const f of figures) {
        assert.ok(f.width > 300 && f.height > 200, `${f.id} has no size: ${f.width}x${f.height}`);
        assert.ok(f.marks > 0, `${f.id} drew no marks`);
        assert.ok(f.axes > 0, `${f.id} has no axis`);
      }
      assert.deepEqual(external, [], "the report must not fetch anything");
      const screenshot = join(tmp, "report.png");
      await page.screenshot({ path: screenshot, fullPage: true });
      assert.ok(readFileSync(screenshot).length > 10_000);
      process.stdout.write(`# screenshot of the report: ${screenshot}\n`);
    } finally {
      await browser.close();
    }
  });
  it("draws Figures 12 and 13 of a knob-variant quick run so each series is told apart, legend under the plot", async (t) => {
    const skip = await skipUnlessTool("chromium", ["--version"], "apt-get install chromium");
    if (skip) return t.skip(skip);
    const runDir = writeQuickShapedRun(join(tmp, "variant-results"), "quick-variants");
    const { code, stdout, stderr } = await report([runDir, "--out", reports]);
    assert.equal(code, 0, stderr);
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`file://${reportPath(stdout)}`, { waitUntil: "load" });
      const first = await firstScreen(page);
      assert.equal(first.notMeasured, 0, "no 'not measured' row on the first screen");
      const firstShot = join(tmp, "quick-variants-first-screen.png");
      await page.screenshot({ path: firstShot });
      process.stdout.write(`# screenshot of the knob-variant report's first screen: ${firstShot}\n`);
      for (const id of ["fig12-node-compute-throughput", "fig13-node-compute-latency"]) {
        const figure = page.locator(`figure#${id}`);
        const layout = await figure.evaluate((el) => {
          // The x axis spans the plot; the series legend is Vega's one legend.
          const xAxis = [...el.querySelectorAll(".role-axis")].find((a) => /Memory limit/.test(a.textContent ?? ""));
          const legend = el.querySelector(".role-legend");
          const labels = [...(legend?.querySelectorAll(".role-legend-label text") ?? [])];
          return {
            svg: el.querySelector("svg")?.getBoundingClientRect().toJSON(),
            axis: xAxis?.getBoundingClientRect().toJSON(),
            legend: legend?.getBoundingClientRect().toJSON(),
            entries: [...(legend?.querySelectorAll(".role-legend-symbol path") ?? [])].map((path, i) => ({
              look: `${path.getAttribute("fill")} ${path.getAttribute("d")}`,
              label: labels[i]?.textContent ?? "",
            })),
          };
        });
        assert.ok(layout.svg && layout.axis && layout.legend, `${id}: svg, x axis and legend drawn`);
        assert.ok(
          layout.axis.width >= 0.8 * layout.svg.width,
          `${id}: the plot is ${layout.axis.width} of ${layout.svg.width} px: it should take the width`,
        );
        assert.ok(layout.legend.top >= layout.axis.bottom - 1, `${id}: the legend sits under the plot`);
        assert.ok(layout.legend.width <= layout.axis.width, `${id}: the legend is no wider than the plot`);
        assert.equal(layout.entries.length, 6, `${id}: three platforms, two heap settings`);
        assert.equal(new Set(layout.entries.map((e) => e.look)).size, 6, `${id}: every entry looks different`);
        const shot = join(tmp, `${id}.png`);
        await figure.screenshot({ path: shot });
        assert.ok(readFileSync(shot).length > 10_000);
        process.stdout.write(`# screenshot of ${id}: ${shot}\n`);
      }
    } finally {
      await browser.close();
    }
  });
  it("draws the memory floor of a floor run: a bracket per search and the paper's 64 MB line, after the findings", async (t) => {
    const skip = await skipUnlessTool("chromium", ["--version"], "apt-get install chromium");
    if (skip) return t.skip(skip);
    const runDir = writeFloorRun(join(tmp, "floor-results"), "floor-known");
    const { code, stdout, stderr } = await report([runDir, "--out", reports]);
    assert.equal(code, 0, stderr);
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`file://${reportPath(stdout)}`, { waitUntil: "load" });
      const figure = page.locator("figure#floor-memory");
      const drawn = await figure.evaluate((el) => {
        const texts = [...el.querySelectorAll("svg text")].map((x) => x.textContent ?? "");
        const findings = document.querySelector("#findings")?.getBoundingClientRect().top ?? Number.NaN;
        return {
          // One label per search on the y axis, the paper's line labelled.
          labels: texts.filter((x) => / 1cpu (native|docker|gvisor)/.test(x)).length,
          paperLine: texts.some((x) => x === "the paper's lowest level (64 MB)"),
          below: el.getBoundingClientRect().top > findings,
          height: el.getBoundingClientRect().height,
        };
      });
      assert.equal(drawn.labels, 24, "a bracket per search (2 runtimes x 2 workloads x 3 platforms x 2 tunings)");
      assert.ok(drawn.paperLine, "the paper's 64 MB line is drawn and labelled");
      assert.ok(drawn.below, "the floor comes after the findings");
      assert.ok(drawn.height > 400, `the figure is ${drawn.height} px high`);
      const rows = await page.locator("#floor ~ table").first().locator("tbody tr").count();
      assert.equal(rows, 24, "a table row per search");
      const shot = join(tmp, "floor-memory.png");
      await figure.screenshot({ path: shot });
      assert.ok(readFileSync(shot).length > 10_000);
      process.stdout.write(`# screenshot of the memory floor figure: ${shot}\n`);
    } finally {
      await browser.close();
    }
  });
});
