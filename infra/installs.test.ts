/**
 * A plugin names what it installs, and everything that installs reads it: a platform that comes
 * as a download (infra/testdata/plugin/microfc.ts, in files of its own, registered here) is locked,
 * planned, bundled, installed, checked, removed on destroy and installed on a researcher's machine
 * without a line of infra/ naming it; a generator with an install of its own goes on the load
 * generator, and one the load generator cannot run is refused at preview.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import type { Revision } from "../core/config/revision";
import { loadRevision } from "../lab/config/revision";
import type { LoadGenerator } from "../lab/load/plugin";
import { generatorRegistry } from "../lab/load/registry";
import { allPlatforms, registerPlatform, unregisterPlatform } from "../lab/platforms/registry";
import { localInstalls, runLocalInstalls } from "../scripts/installPlugins";
import { finalSteps, installSteps } from "./bootstrap";
import { parseLabConfig } from "./config";
import { generatorProblems } from "./generatorCeiling";
import { lockableDownloads, profileInstalls, pulumiGenerator } from "./installs";
import { lockDownloads, lockPathOf, readLock } from "./lock";
import { contextFor } from "./pair";
import { planLab } from "./stackPlan";
import { cleanupScript } from "./sweepScripts";
import { microfcPlatform } from "./testdata/plugin/microfc";
import { pinnedForTests } from "./testing/downloads";
import { TEST_PRIVATE_KEY, TEST_REVISION } from "./testing/mockProgram";
import { type StandInServer, startStandInServer } from "./testing/standInServer";

const FILE = Buffer.from("#!/bin/sh\necho microfc 1.7.0\n");
const sha = createHash("sha256").update(FILE).digest("hex");

/** The test revision with microfc's file (unpinned: the lock pins it) and version, and a profile running it. */
function revisionWithMicrofc(dir: string): string {
  const revision = structuredClone(loadRevision(TEST_REVISION)) as Revision & Record<string, unknown>;
  (revision.versions as Record<string, string>).microfc = "1.7.0";
  (revision.downloads as Record<string, unknown>).microfc = {
    url: "https://downloads.example.invalid/microfc-1.7.0",
    file: "microfc-1.7.0",
    sha256: null,
  };
  const paper = revision.profiles.paper;
  assert.ok(paper);
  revision.profiles.paper = { ...paper, platforms: ["docker", "microfc"] };
  const file = join(dir, "with-microfc.yaml");
  writeFileSync(file, stringify(revision));
  return file;
}

describe("a platform from a download, in files of its own", () => {
  let server: StandInServer;
  let dir: string;
  let revisionFile: string;
  before(async () => {
    registerPlatform(microfcPlatform);
    server = await startStandInServer();
    server.serve("https://downloads.example.invalid/microfc-1.7.0", FILE);
    dir = mkdtempSync(join(tmpdir(), "installs-"));
    revisionFile = revisionWithMicrofc(dir);
  });
  after(() => {
    unregisterPlatform(microfcPlatform.name);
    server.close();
  });

  it("is locked on first use, with its version, like ops", async () => {
    assert.ok(lockableDownloads().includes("microfc"));
    const revision = loadRevision(revisionFile);
    const result = await lockDownloads({
      revision,
      revisionFile,
      names: ["microfc"],
      cacheDir: join(dir, "cache"),
      fetcher: server.fetcher,
      log: () => undefined,
    });
    assert.deepEqual(result.added, ["microfc"]);
    const entry = readLock(lockPathOf(revisionFile), revision.id).files.microfc;
    assert.equal(entry?.sha256, sha);
    assert.equal(entry?.version, "1.7.0");
  });

  it("is planned, installed, checked and removed by its own steps on the SUT only", () => {
    const revision = pinnedForTests(loadRevision(revisionFile));
    const config = parseLabConfig(
      {
        target: "static",
        revision: revisionFile,
        sshPrivateKey: TEST_PRIVATE_KEY,
        sut: { address: "192.0.2.10" },
        loadgen: { address: "192.0.2.11" },
      },
      "plugin",
    );
    const plan = planLab(config, revision);
    const setup = plan.plugins.find((p) => p.plugin === "microfc");
    assert.deepEqual(setup?.env, {
      MICROFC_FILE: "microfc-1.7.0",
      MICROFC_URL: "https://downloads.example.invalid/microfc-1.7.0",
      MICROFC_SHA256: "0".repeat(64),
      MICROFC_VERSION: "1.7.0",
    });
    const options = { install: true, docker: true, k6FromBundle: false, plugins: plan.plugins };
    const sut = contextFor(plan, plan.hosts.sut, null);
    const step = installSteps(sut, options).find((s) => s.id === "microfc-setup");
    assert.match(step?.script ?? "", /export MICROFC_SHA256=0{64}\n[\s\S]*fetch microfc "\$MICROFC_FILE"/);
    const lg = plan.hosts.loadgen;
    assert.ok(lg);
    assert.ok(!installSteps(contextFor(plan, lg, null), options).some((s) => s.id === "microfc-setup"));
    const preflight = finalSteps(sut, {
      strict: true,
      docker: true,
      requireKvm: false,
      minCores: 1,
      loadgen: null,
      plugins: plan.plugins.filter((p) => p.role === "sut"),
    })[0]?.script;
    assert.match(preflight ?? "", /microfc-\$MICROFC_VERSION" --version[\s\S]*ensure microfc /);
    assert.match(
      cleanupScript({ removeLabDir: true, plugins: plan.plugins }),
      /# microfc: its own removal\n\(\n[\s\S]*rm -f "\$tools"\/microfc-\*/,
    );
  });

  it("is installed on a researcher's machine by scripts/install-system.sh, with its locked file", () => {
    const revision = loadRevision(revisionFile);
    const lock = readLock(lockPathOf(revisionFile), revision.id);
    const mine = localInstalls(revision, lock).filter((i) => i.plugin === "microfc");
    const lines: string[] = [];
    assert.equal(
      runLocalInstalls(mine, (line) => lines.push(line)),
      0,
    );
    assert.equal(
      lines.join(""),
      `microfc: would install microfc-1.7.0 1.7.0 sha256 ${sha} from https://downloads.example.invalid/microfc-1.7.0\n`,
    );
    const unlocked = localInstalls(revision, { ...lock, files: {} }).find((i) => i.plugin === "microfc");
    assert.deepEqual(unlocked, {
      plugin: "microfc",
      notInstalled: `downloads.microfc is not locked yet (lock it first: npx tsx infra/pin.ts --revision ${revision.id})`,
    });
    assert.ok(readFileSync(revisionFile, "utf8").includes("microfc"), "the revision file names it");
  });
});

describe("a load generator that comes as a download", () => {
  const wrk2: LoadGenerator = {
    ...generatorRegistry.wrk,
    install: {
      howTo: "the lab's bootstrap installs it",
      pulumiHost: {
        downloads: { wrk2: null },
        installScript: `fetch wrk2 "$WRK2_FILE" "$WRK2_URL" sha256 "$WRK2_SHA256"`,
        preflightScript: "command -v wrk2",
      },
    },
  };
  const sources = { platforms: allPlatforms(), generators: [wrk2] };

  it("goes on the load generator when the profile names it", () => {
    const revision = loadRevision(TEST_REVISION);
    const profile = {
      ...(revision.profiles.paper as NonNullable<Revision["profiles"]["paper"]>),
      generator: "wrk" as const,
    };
    assert.equal(pulumiGenerator(profile), "wrk");
    const installs = profileInstalls(profile, sources);
    assert.deepEqual(
      installs.map((p) => [p.name, p.role]),
      [
        ["docker", "sut"],
        ["nanos", "sut"],
        ["wrk", "loadgen"],
      ],
    );
    assert.ok(lockableDownloads(sources).includes("wrk2"));
  });

  it("a generator the load generator cannot run is refused at preview, with what to change", () => {
    const revision = loadRevision(TEST_REVISION);
    const [problem] = generatorProblems("paper", revision, "autocannon");
    assert.match(
      problem ?? "",
      /^profile paper of revision infra-test runs generator autocannon, which the Pulumi lab's load generator cannot run \(.*npm package autocannon.*\): set generator: k6 or wrk in the profile, or run this profile with npm run lab on one machine \(target local\) \[generator-unreachable\]$/,
    );
    assert.deepEqual(generatorProblems("paper", revision, "k6"), []);
    const noWrk = structuredClone(revision);
    delete noWrk.downloads?.apt.packages.wrk;
    assert.match(generatorProblems("paper", noWrk, "wrk")[0] ?? "", /has no apt package wrk for the load generator/);
  });
});
