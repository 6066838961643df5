/**
 * Every generator of shell scripts, fed hostile values in all its string inputs: each script
 * parses (`bash -n`) with every hostile value, and run in a sandbox (core/testing/hostileShell.ts)
 * with all of them at once, no value ran as code (no marker file) and the value reached a command
 * whole, as one argument or one environment value. Where a validator refuses a hostile value (an
 * instance name QEMU would split, a public key), that input stays plain and the rest are hostile.
 *
 * One more generator is one more row of GENERATORS: a name, and the scripts it makes with a value.
 */

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describe, it } from "node:test";
import type { Revision } from "../core/config/revision";
import type { LoadSpec } from "../core/load/types";
import type { KnobValues } from "../core/matrix";
import { sh } from "../core/shell";
import {
  arrivedWhole,
  compositeHostileValue,
  hostileValues,
  openFolder,
  runInSandbox,
  type SandboxRun,
  type SandboxScript,
  sandboxRoot,
  sandboxSkip,
  syntaxErrors,
  takeMarkers,
} from "../core/testing/hostileShell";
import {
  authorizeStep,
  finalSteps,
  hostKeyStep,
  installSteps,
  labKeyStep,
  type PluginSetup,
  trustStep,
} from "../infra/bootstrap";
import { hostFirewallStep, privateLinkStep } from "../infra/bootstrap/network";
import type { BootstrapContext } from "../infra/bootstrap/types";
import { cleanupNoticeScript, uploadFolderScript } from "../infra/hostBootstrap";
import { asRoot } from "../infra/hostCommand";
import { allInstalls, pluginSetups } from "../infra/installs";
import { TEST_REVISION } from "../infra/testing/mockProgram";
import { loadRevision } from "../lab/config/revision";
import { commandScript } from "../lab/load/generator";
import { k6CommandLine } from "../lab/load/k6";
import { generatorRegistry } from "../lab/load/registry";
import { remoteLoadScript } from "../lab/load/remote";
import { footprintScript } from "../lab/platforms/footprint";
import { leftoversScript } from "../lab/platforms/gvisor";
import { microvmScripts } from "../lab/platforms/microvm";
import { allPlatforms } from "../lab/platforms/registry";
import type { InstanceContext, InstanceScripts, Platform } from "../lab/platforms/types";
import { nanosBuildPlan, nanosBuildScript } from "../workloads/artifacts/nanos";

/** One generator of scripts: what it makes with `value` in its inputs, and how it runs. */
interface Generator {
  name: string;
  /** The scripts, in the order they run; `dir` is a folder of the row's own, writable in the sandbox. */
  scripts(value: string, dir: string): SandboxScript[];
  /** Shell a stand-in runs after recording, e.g. `{ setsid: "echo 1 > instance.pid" }`. */
  standIns?: (value: string) => Record<string, string>;
  /**
   * How the run shows the value arrived whole, where it reaches no command (it only lands in a
   * file or on stdout). Default: a stand-in got it inside one argument or environment value.
   */
  arrived?: (value: string, dir: string, run: SandboxRun) => boolean;
}

const { root, markers } = sandboxRoot();
const VALUES = hostileValues(markers);
const COMPOSITE = compositeHostileValue(markers);

// --- lab/platforms: every platform, at its defaults and with each other knob value (pinned) ---

/** A plain instance name, for the platforms whose validator refuses others (QEMU's -name, ops). */
const PLAIN_NAME = "edgelab-hostile-1";

function instanceContext(platform: Platform, knobs: KnobValues, value: string, dir: string): InstanceContext {
  const vm = platform.class.isolation === "vm";
  return {
    runtime: "go",
    resources: { cpus: 1, memoryMB: 64 },
    knobs,
    // The microVM's kernel command line refuses spaces and quotes in the environment.
    env: platform.name === "microvm" ? {} : { HOSTILE_ENV: value },
    artifact: value,
    workDir: openFolder(join(dir, value)),
    instanceName: vm ? PLAIN_NAME : value,
    hostPort: 18080,
    bindAddress: value,
    runId: value,
    cpuList: value,
    allowEmulation: true,
    accelerator: "tcg",
    bridgeName: value,
  };
}

function knobVariants(platform: Platform): KnobValues[] {
  const defaults = Object.fromEntries(Object.entries(platform.knobs).map(([k, spec]) => [k, spec.default]));
  const variants: KnobValues[] = [{ ...defaults, cpuMode: "quota" }];
  for (const [knob, spec] of Object.entries(platform.knobs)) {
    for (const value of spec.values)
      if (value !== spec.default) variants.push({ ...defaults, [knob]: value, cpuMode: "pinned" });
  }
  if (variants.length === 1) variants.push({ ...defaults, cpuMode: "pinned" });
  return variants;
}

function instanceRun(scripts: InstanceScripts, workDir: string): SandboxScript[] {
  return [scripts.prepare, scripts.start, scripts.stop, scripts.cleanup].map((text) => ({ text, cwd: workDir }));
}

const platformRows: Generator[] = allPlatforms().flatMap((platform) =>
  knobVariants(platform).map((knobs) => ({
    name: `${platform.name} ${JSON.stringify(knobs)}: prepare, start, stop, cleanup`,
    scripts: (value: string, dir: string) => {
      const ctx = instanceContext(platform, knobs, value, dir);
      // The microVM's bridge settings are inputs too.
      const scripts =
        platform.name === "microvm"
          ? microvmScripts(ctx, { bridge: value, subnet: value, stateDir: value })
          : platform.scripts(ctx);
      return instanceRun(scripts, ctx.workDir);
    },
    standIns: () => ({ setsid: "echo 1 > instance.pid" }),
  })),
);

const labPlatformRows: Generator[] = [
  {
    name: "footprint sampler",
    scripts: (value, dir) => {
      const workDir = openFolder(join(dir, value));
      writeFileSync(join(workDir, "instance.pid"), "1\n");
      return [{ text: footprintScript(workDir, 100, 1) }];
    },
    // Its one input is the folder it samples into: the samples are there.
    arrived: (value, dir) => readFileSync(join(dir, value, "footprint.tsv"), "utf8").includes("\t"),
  },
  { name: "gvisor leftovers sweep", scripts: (value) => [{ text: leftoversScript(value) }] },
];

// --- lab/load and workloads/artifacts ---

const spec: LoadSpec = {
  baseUrl: "http://127.0.0.1:18080",
  workload: "io",
  executor: "constant-vus",
  vus: 2,
  warmupS: 1,
  durationS: 1,
  requestTimeoutS: 2,
};

const loadRows: Generator[] = [
  ...Object.values(generatorRegistry).map((generator) => ({
    name: `remote load script (${generator.name})`,
    scripts: (value: string) => [
      { text: remoteLoadScript(spec, { sshTarget: value, labDir: value, cores: 1 }, generator) },
    ],
    // GNU time (an absolute path) runs the measured command: where that is a file under the lab
    // folder (autocannon's tsx), time's own error names it whole.
    arrived: (value: string, _dir: string, run: SandboxRun) =>
      arrivedWhole(run, value) || run.output.includes(`/usr/bin/time: cannot run ${value}/`),
  })),
  {
    name: "k6 command line",
    scripts: (value) => [
      {
        text: `#!/usr/bin/env bash\n${k6CommandLine(spec, { scriptPath: value, summaryPath: value, k6Version: value }, "k6")}\n`,
      },
    ],
  },
  { name: "load-command.sh", scripts: (value) => [{ text: commandScript(value, [["k6", "run", value]]) }] },
  {
    name: "nanos image build script",
    scripts: (value) => {
      const plan = nanosBuildPlan(
        hostileRevision(value),
        "go",
        { path: value, args: [value], files: [] },
        undefined,
        value,
      );
      return [{ text: nanosBuildScript(plan) }];
    },
  },
];

// --- infra: the bootstrap steps, the providers' host steps, the host commands ---

const BASE_REVISION = loadRevision(TEST_REVISION);

function hostileRevision(value: string): Revision {
  const revision = structuredClone(BASE_REVISION);
  revision.id = value;
  revision.versions = {
    go: value,
    node: value,
    docker: value,
    nanos: value,
    ops: value,
    qemu: value,
    ubuntu: value,
    k6: value,
  };
  revision.nodeBinary.npmPackage = value;
  return revision;
}

function hostileContext(value: string, roles: BootstrapContext["roles"], bundledK6: boolean): BootstrapContext {
  const revision = hostileRevision(value);
  const base = BASE_REVISION.downloads;
  assert.ok(base, "the test revision has downloads");
  const download = { url: value, file: value, sha256: value };
  const pkg = (version: string | null) => ({ version, for: ["docker"], from: value });
  const downloads: NonNullable<Revision["downloads"]> = {
    ...base,
    go: download,
    goBuild: { ...download, version: value },
    ops: download,
    nanosKernel: download,
    nanosSource: download,
    nanosCommon: download,
    npm: { version: value, integrity: base.npm.integrity },
    xk6: { version: value },
    ...(bundledK6 ? { k6Binary: { file: value, sha256: value } } : { k6Binary: undefined }),
    apt: {
      repositories: {
        [value]: { url: value, suite: value, components: [value], key: { url: value, fingerprint: value } },
      },
      packages: {
        [value]: pkg(null),
        [`${value}-exact`]: pkg(value),
        [`${value}-glob`]: pkg(`${value}*`),
        "docker-ce": pkg(value),
      },
    },
  };
  revision.downloads = downloads;
  return {
    revision,
    downloads,
    roles,
    hostLabel: value,
    labDir: value,
    code: { archivePath: value, sha256: value },
    aptPackages: Object.keys(downloads.apt.packages),
    hardenSsh: true,
    npmRegistry: value,
  };
}

const SUT = { sut: true, loadgen: false };
const LOADGEN = { sut: false, loadgen: true };
/** Every registered plugin's install, with the hostile downloads in its variables. */
const setupsOf = (ctx: BootstrapContext): PluginSetup[] => pluginSetups(allInstalls(), ctx.revision, ctx.downloads);
const PLUGINS = allInstalls().map((p) => p.name);
const SUT_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITest edgelab-sut";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITest";

/** The bootstrap steps of one host, by id. */
function bootstrapSteps(value: string, roles: BootstrapContext["roles"], bundledK6: boolean) {
  const ctx = hostileContext(value, roles, bundledK6);
  const plugins = setupsOf(ctx);
  const preflight = {
    strict: true,
    docker: true,
    requireKvm: true,
    minCores: 2,
    loadgen: { user: value, address: value },
    plugins,
  };
  return [
    ...installSteps(ctx, { install: true, docker: true, k6FromBundle: false, plugins }),
    ...finalSteps(ctx, preflight),
    ...finalSteps(ctx, { ...preflight, strict: false }).map((s) => ({ ...s, id: `${s.id} (record mode)` })),
    { id: "lab-key", script: labKeyStep(ctx) },
    { id: "host-key", script: hostKeyStep(ctx) },
    { id: "authorize-sut", script: authorizeStep(ctx, SUT_KEY, value) },
    { id: "trust-loadgen", script: trustStep(ctx, value, HOST_KEY) },
  ];
}

/**
 * Steps whose only hostile input is the host's label, in the header comment: they show it stayed
 * a comment by running their frame to a line of their own (status, value or failure).
 */
const LABEL_ONLY = new Set(["base", "lab-key", "host-key", ...PLUGINS.map((name) => `${name}-setup`)]);

function ranItsFrame(id: string, run: SandboxRun): boolean {
  return new RegExp(`^${id}( failed|:)`, "m").test(run.output) || /^\[exit 0 of /m.test(run.output);
}

/** What a step leaves only in a file, printed by a script run after it in the same sandbox. */
const AFTER_STEP: Record<string, SandboxScript[]> = {
  "authorize-sut": [{ text: "cat /root/.ssh/authorized_keys" }],
};

/** Ids of the steps of a host (the table is built from them, one row per step). */
const stepIds = (roles: BootstrapContext["roles"], bundledK6: boolean) => [
  ...new Set(bootstrapSteps("x", roles, bundledK6).map((s) => s.id)),
];

const bootstrapRows: Generator[] = [
  ...(
    [
      ["sut", SUT, false],
      ["load generator", LOADGEN, false],
      ["load generator, k6 from the bundle", LOADGEN, true],
    ] as const
  ).flatMap(([host, roles, bundledK6]) =>
    stepIds(roles, bundledK6).map((id) => ({
      name: `bootstrap step ${id} (${host})`,
      scripts: (value: string, dir: string) => {
        const step = bootstrapSteps(value, roles, bundledK6).find((s) => s.id === id);
        assert.ok(step, id);
        // The code step unpacks the archive it was given: it is there (its digest is the stand-in's).
        writeFileSync(join(openFolder(dirname(join(dir, value))), basename(value)), "");
        return [{ text: step.script, cwd: dir }, ...(AFTER_STEP[id] ?? [])];
      },
      standIns: (value: string) => ({
        sha256sum: sh`printf '%s  -\\n' ${value}`.text,
        // ssh-keygen -f FILE leaves FILE.pub, as the real one does.
        "ssh-keygen":
          'last=x; for a; do last=$a; done; echo "ssh-ed25519 AAAATest lab" > "$last.pub" 2>/dev/null || true',
      }),
      arrived:
        id === "authorize-sut"
          ? (value: string, _dir: string, run: SandboxRun) => run.output.includes(`restrict,from="${value}" ${SUT_KEY}`)
          : LABEL_ONLY.has(id.replace(" (record mode)", ""))
            ? (_value: string, _dir: string, run: SandboxRun) => ranItsFrame(id.replace(" (record mode)", ""), run)
            : undefined,
    })),
  ),
  {
    name: "host firewall step",
    // The rules are refused unless plain (infra/bootstrap/network.hostile.test.ts): the host label is hostile.
    scripts: (value) => [
      {
        text: hostFirewallStep(value, [
          { direction: "in", protocol: "tcp", port: "22", sourceIps: ["198.51.100.7/32"], description: "ssh" },
        ]),
      },
    ],
    standIns: () => ({
      install: 'cat -- "$3" > "$4"',
      nft: `if [ "$1" = list ]; then echo 'type filter hook input priority 0; policy drop;'; fi`,
    }),
    // The label is only the script header's comment: it reaches no command, so what is checked is
    // that every script parses and runs with it as data (no marker file).
    arrived: () => true,
  },
  {
    name: "private link step",
    scripts: (value) => [{ text: privateLinkStep(value, { vlan: 7, address: value, prefixLength: 24 }) }],
    standIns: () => ({ ip: "echo 'default via 192.0.2.1 dev eth0 proto static'" }),
  },
  { name: "as root over ssh (sudo)", scripts: (value) => [{ text: asRoot(value, "ubuntu") }] },
  { name: "as root over ssh (root)", scripts: (value) => [{ text: asRoot(value, "root") }] },
  { name: "upload folder for a non-root user", scripts: (value) => [{ text: uploadFolderScript(value) }] },
  {
    name: "clean-up notice of a lent host",
    scripts: (value) => [{ text: cleanupNoticeScript(value) }],
    arrived: (value, _dir, run) => run.output.includes(`edgelab files on ${value} are removed`),
  },
];

/**
 * Add rows here for more generators. The sweep scripts of infra/sweepScripts.ts, for instance,
 * one row per script function, every string input set to `value`:
 *   { name: "sweep cell script", scripts: (value, dir) => [{ text: cellScript(plan(value), cell(value),
 *     { bindAddress: value, loadgen: { user: value, address: value } }), cwd: dir }] }
 * A row whose value reaches no command (it lands in a file, or on stdout) says how it shows up in
 * `arrived`; shell a stand-in must run (make a file the script then reads) goes in `standIns`.
 */
const GENERATORS: Generator[] = [...platformRows, ...labPlatformRows, ...loadRows, ...bootstrapRows];

describe("hostile values through every generator of shell scripts", () => {
  for (const generator of GENERATORS) {
    it(`${generator.name}: parses with each, runs with all at once as data`, (t) => {
      const rowDir = openFolder(join(root, `row-${GENERATORS.indexOf(generator)}`));
      const texts = VALUES.flatMap((value, i) =>
        generator.scripts(value, openFolder(join(rowDir, `syntax-${i}`))).map((script) => script.text),
      );
      assert.deepEqual(syntaxErrors(rowDir, texts), [], "bash -n with each hostile value");
      const skip = sandboxSkip();
      if (skip) return t.skip(skip);
      const dir = openFolder(join(rowDir, "run"));
      const run = runInSandbox(
        root,
        generator.name,
        generator.scripts(COMPOSITE, dir),
        generator.standIns?.(COMPOSITE),
      );
      assert.deepEqual(takeMarkers(markers), [], `a value ran as code:\n${run.output}`);
      const arrived = generator.arrived ? generator.arrived(COMPOSITE, dir, run) : arrivedWhole(run, COMPOSITE);
      assert.ok(
        arrived,
        `the value did not arrive whole; calls: ${JSON.stringify(run.calls.map((c) => [c.command, ...c.args]))}\n${run.output}`,
      );
    });
  }
});
