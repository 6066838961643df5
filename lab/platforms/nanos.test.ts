import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { hasCommand } from "../../core/exec";
import { shellcheckSkip } from "../../core/testing/requirements";
import { OPS_CONFIG_KEYS, OPS_RUN_CONFIG_KEYS } from "../../workloads/artifacts/nanos";
import { writeInstanceScripts } from "./instance";
import type { KvmProbe } from "./kvm";
import {
  cpuVirtFlag,
  NANOS_OOM_PATTERNS,
  nanosAvailability,
  nanosInstanceConfig,
  nanosPlatform,
  opsCreateArgs,
  parseOpsVersion,
  parseQemuVersion,
  serialLogPath,
  serialLogShowsOom,
  tapName,
} from "./nanos";
import { OOM_LINE_FILE, oomFromConsoleLines } from "./qemuShell";
import type { CpuMode, InstanceContext } from "./types";
import { DEFAULT_VMNET, vmnetGateway } from "./vmnet";

const work = mkdtempSync(join(tmpdir(), "nanos-test-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** The 1-CPU / 128 MB cell, reached on the app port itself. */
function cell(network: "user" | "bridged", cpuMode: CpuMode, extra: Partial<InstanceContext> = {}): InstanceContext {
  const name = `edgelab-t1-go-${network}-${cpuMode}`;
  return {
    runtime: "go",
    resources: { cpus: 1, memoryMB: 128 },
    knobs: { cpuMode, nanosNetwork: network },
    artifact: "/root/.ops/images/edgelab-go-r1",
    workDir: join(work, name),
    instanceName: name,
    hostPort: 8080,
    bindAddress: "127.0.0.1",
    runId: "t1",
    cpuList: "0",
    allowEmulation: false,
    bridgeName: network === "bridged" ? "br0" : undefined,
    ...extra,
    env: extra.env ?? {},
  };
}

/** The config.json the prepare script writes (its quoted heredoc). */
function writtenConfig(prepare: string): { RunConfig: Record<string, unknown> } & Record<string, unknown> {
  const match = /<<'CONFIG'\n([\s\S]*?)\nCONFIG\n/.exec(prepare);
  assert.ok(match?.[1], "prepare writes config.json from a heredoc");
  return JSON.parse(match[1]) as { RunConfig: Record<string, unknown> } & Record<string, unknown>;
}

const CELLS = [
  cell("user", "quota"),
  cell("user", "pinned"),
  cell("bridged", "quota"),
  cell("bridged", "pinned"),
  cell("user", "quota", { instanceName: "edgelab-t1-go-tcg", accelerator: "tcg", allowEmulation: true }),
];

describe("nanos scripts", () => {
  it("create the instance with ops and the written config, for the onprem target", () => {
    const ctx = cell("user", "quota");
    assert.deepEqual(opsCreateArgs(ctx), [
      ...["instance", "create", "edgelab-go-r1", "-c", "config.json"],
      ...["-i", "edgelab-t1-go-user-quota", "-t", "onprem"],
    ]);
    const { start } = nanosPlatform.scripts(ctx);
    assert.ok(
      start.includes(
        "if ! ops instance create edgelab-go-r1 -c config.json -i edgelab-t1-go-user-quota -t onprem > ops-create.log 2>&1 < /dev/null; then",
      ),
    );
    // The kernel is inside the image's disk on x86 (ops build pinned it with --nanos-version) and
    // instance create passes QEMU no -kernel, so the flag would only make ops look up (or
    // download) ~/.ops/<version> for nothing.
    assert.doesNotMatch(start, /--nanos-version/);
    assert.doesNotMatch(start, / -p /);
  });

  it("write a config.json with only keys ops accepts: 128M, 1 CPU, port 8080, KVM", () => {
    for (const ctx of CELLS) {
      const config = writtenConfig(nanosPlatform.scripts(ctx).prepare);
      for (const key of Object.keys(config)) assert.ok((OPS_CONFIG_KEYS as readonly string[]).includes(key), key);
      for (const key of Object.keys(config.RunConfig)) {
        assert.ok((OPS_RUN_CONFIG_KEYS as readonly string[]).includes(key), `RunConfig.${key}`);
      }
      assert.equal(config.RunConfig.Memory, "128M");
      assert.equal(config.RunConfig.CPUs, 1);
      assert.deepEqual(config.RunConfig.Ports, ["8080"]);
      assert.equal(config.RunConfig.Accel, ctx.accelerator !== "tcg");
    }
  });

  it("bridged: the lab's bridge and a tap of its own, the guest's leased address in the config, removed at stop and cleanup", () => {
    const ctx = cell("bridged", "quota");
    const scripts = nanosPlatform.scripts(ctx);
    const run = writtenConfig(scripts.prepare).RunConfig;
    assert.equal(run.Bridged, true);
    assert.equal(run.BridgeName, "br0");
    assert.equal(run.TapName, tapName(ctx.instanceName));
    assert.ok(tapName(ctx.instanceName).length <= 15);
    assert.equal(run.IPAddress, "@GUEST_ADDRESS@", "filled in by prepare from the leased address");
    assert.equal(run.Gateway, vmnetGateway(DEFAULT_VMNET));
    assert.ok(scripts.prepare.includes("tap-up.sh") && scripts.prepare.includes("> guest.address"));
    assert.match(scripts.prepare, /sed -i "s\/@GUEST_ADDRESS@\/\$\(cat guest\.address\)\/" config\.json/);
    assert.match(scripts.prepare, /> endpoint/, "the guest is reached on its own address");
    assert.match(scripts.start, /"network":"bridged: tap edgelabvm-\w+ on br0/);
    for (const script of [scripts.stop, scripts.cleanup]) assert.ok(script.includes("tap-down.sh"));
  });

  it("user mode: a host port other than 8080 forwards to guest 8080 through the config alone", () => {
    const { prepare, start } = nanosPlatform.scripts(cell("user", "quota", { hostPort: 18080 }));
    assert.deepEqual(writtenConfig(prepare).RunConfig.Ports, ["18080-8080"]);
    assert.match(start, /port forward, host \*:18080 -> guest 8080/);
  });

  it("check for ops and write config.json in prepare, off the clock; start only launches", () => {
    for (const ctx of CELLS) {
      const { prepare, start } = nanosPlatform.scripts(ctx);
      assert.match(prepare, /command -v ops/);
      assert.ok(prepare.includes(`rm -f ${serialLogPath(ctx.instanceName)} `), "prepare removes the old serial log");
      assert.doesNotMatch(start, /<<'CONFIG'|> *config\.json/, "start must not write config.json");
      assert.doesNotMatch(start, /command -v ops|ops not installed/, "start must not check for ops");
      assert.match(start, /ops instance create /);
    }
    assert.equal(nanosPlatform.probeDuringStart, true);
  });

  it("pin every qemu thread only in pinned mode", () => {
    for (const network of ["user", "bridged"] as const) {
      const quota = nanosPlatform.scripts(cell(network, "quota")).start;
      const pinned = nanosPlatform.scripts(cell(network, "pinned")).start;
      assert.doesNotMatch(quota, /taskset/);
      assert.match(pinned, /if ! taskset -c 0 ops instance create /);
      assert.match(pinned, /taskset -a -p -c 0 "\$pid"/);
      assert.match(pinned, /"how":"-smp 1 \(vCPUs\) \+ taskset -a -c 0"/);
      assert.match(quota, /"how":"-smp 1 \(vCPUs\)"/);
      assert.match(quota, /"how":"qemu -m 128M"/);
    }
  });

  it("refuse a VM without KVM unless emulation is allowed, and record the accelerator found", () => {
    const kvm = nanosPlatform.scripts(cell("user", "quota")).start;
    assert.match(kvm, /anon_inode:kvm-vm/);
    assert.match(kvm, /refusing to measure an emulated VM/);
    assert.match(kvm, /"accelerator":"%s"\}\n' "\$accel" > limits\.json/);
    const tcg = nanosPlatform.scripts(CELLS[4] as InstanceContext).start;
    assert.doesNotMatch(tcg, /refusing/);
    assert.throws(
      () => nanosPlatform.scripts(cell("user", "quota", { accelerator: "tcg" })),
      /accelerator tcg \(emulation\) needs allowEmulation/,
    );
  });

  it("pass shellcheck", async (t) => {
    const skip = await shellcheckSkip();
    if (skip) {
      t.skip(skip);
      return;
    }
    for (const ctx of CELLS) {
      const scripts = nanosPlatform.scripts(ctx);
      for (const [kind, text] of Object.entries(scripts)) {
        const result = spawnSync("shellcheck", ["--severity=style", "--shell=bash", "-"], {
          input: text,
          encoding: "utf8",
        });
        assert.equal(result.status, 0, `${ctx.instanceName} ${kind}:\n${result.stdout}${result.stderr}`);
      }
    }
  });
});

/** PATH without ops, for the scripts' own tools only. */
const NO_OPS_PATH = "/usr/bin:/bin";

describe("nanos scripts run with bash, ops absent", () => {
  it("cleanup exits 0 for an instance that never existed", () => {
    const ctx = cell("bridged", "pinned", { instanceName: "edgelab-t1-never-existed" });
    const paths = writeInstanceScripts(nanosPlatform.scripts(ctx), ctx.workDir);
    const result = spawnSync("bash", [paths.cleanup], { env: { PATH: NO_OPS_PATH }, encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
  });

  it("prepare fails with the reason when ops is missing", () => {
    const ctx = cell("user", "quota", { instanceName: "edgelab-t1-no-ops" });
    const paths = writeInstanceScripts(nanosPlatform.scripts(ctx), ctx.workDir);
    const result = spawnSync("bash", [paths.prepare], { env: { PATH: NO_OPS_PATH }, encoding: "utf8" });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /nanos: ops not installed/);
    assert.equal(existsSync(join(ctx.workDir, "config.json")), false);
  });

  it("prepare writes config.json and clears a previous run's files when ops is present", () => {
    const ctx = cell("user", "quota", { instanceName: `edgelab-t1-prepare-${process.pid}`, hostPort: 18080 });
    const paths = writeInstanceScripts(nanosPlatform.scripts(ctx), ctx.workDir);
    // Only `command -v ops` is asked of ops here: any executable named ops will do.
    const bin = join(ctx.workDir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "ops"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const serial = serialLogPath(ctx.instanceName);
    const leftovers = ["instance.pid", "instance.pid.tmp", "exit.json", "limits.json", "app.log"];
    for (const file of leftovers) writeFileSync(join(ctx.workDir, file), "old run\n");
    writeFileSync(serial, "old serial console\n");
    try {
      const result = spawnSync("bash", [paths.prepare], { env: { PATH: `${bin}:${NO_OPS_PATH}` }, encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(JSON.parse(readFileSync(join(ctx.workDir, "config.json"), "utf8")), nanosInstanceConfig(ctx));
      for (const file of leftovers) assert.equal(existsSync(join(ctx.workDir, file)), false, file);
      assert.equal(existsSync(serial), false);
    } finally {
      rmSync(serial, { force: true });
    }
  });

  it("stop keeps the serial log as app.log, flags Nanos' OOM message and removes the log from /tmp", () => {
    const ctx = cell("user", "quota", { instanceName: `edgelab-t1-oom-${process.pid}` });
    const paths = writeInstanceScripts(nanosPlatform.scripts(ctx), ctx.workDir);
    const serial = serialLogPath(ctx.instanceName);
    const console =
      "en1: assigned 10.0.2.15\nlistening on :8080\nnew_zeroed_pages error: cannot get physical page; OOM\n";
    writeFileSync(serial, console);
    try {
      const result = spawnSync("bash", [paths.stop], { env: { PATH: NO_OPS_PATH }, encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(JSON.parse(readFileSync(join(ctx.workDir, "exit.json"), "utf8")), {
        exitCode: null,
        signal: null,
        oomKilled: true,
      });
      assert.equal(readFileSync(join(ctx.workDir, "app.log"), "utf8"), console);
      assert.equal(existsSync(serial), false);
      // Idempotent: a second stop keeps app.log and the verdict.
      assert.equal(spawnSync("bash", [paths.stop], { env: { PATH: NO_OPS_PATH } }).status, 0);
      assert.equal(readFileSync(join(ctx.workDir, "app.log"), "utf8"), console);
      assert.match(readFileSync(join(ctx.workDir, "exit.json"), "utf8"), /"oomKilled":true/);
    } finally {
      rmSync(serial, { force: true });
    }
  });
});

describe("out-of-memory messages on the serial console", () => {
  it("match Nanos' and the runtimes' messages", () => {
    for (const line of [
      "new_zeroed_pages error: cannot get physical page; OOM",
      "cannot get physical page for vaddr 0x7f0000001000, ctx 0xffffc00000123000; OOM",
      "demand_page_done error: out of memory in multiple page faults; program killed",
      "fatal error: runtime: out of memory",
      "fatal error: out of memory",
      "FATAL ERROR: Zone Allocation failed - process out of memory",
    ]) {
      assert.ok(serialLogShowsOom(`booting\n${line}\n`), line);
    }
  });

  it("do not match ordinary output or the V8 heap limit", () => {
    assert.equal(serialLogShowsOom("listening on :8080\nGET /io 200\n"), false);
    assert.equal(
      serialLogShowsOom("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"),
      false,
    );
    assert.equal(serialLogShowsOom("cannot get physical page\nlater: OOM"), false);
  });

  it("mean the same to the stop script's grep -E as to JavaScript", () => {
    const dir = mkdtempSync(join(tmpdir(), "nanos-oom-grep-"));
    try {
      for (const [text, oom] of [
        ["[17.550558] page fill failed with (result:out of memory)\n", true],
        ["[0.971352] page fault: out of memory, program killed\n", true],
        ["page fill failed with result:out of memory\n", false],
        ["[0.5] en1: assigned 10.0.2.15\n", false],
      ] as const) {
        const file = join(dir, "app.log");
        writeFileSync(file, text);
        const grep = spawnSync("grep", ["-aEq", NANOS_OOM_PATTERNS.join("|"), file]);
        assert.equal(grep.status === 0, oom, text);
        assert.equal(serialLogShowsOom(text), oom, text);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Serial consoles of real boots of a Nanos 0.1.54 kernel built from source (TCG, ops' QEMU
 * layout, 2026-12-05), kept verbatim: what the stop scripts' grep keeps as the OOM line and the
 * cell's reason quotes. The Go 96 MB and Node 128 MB guests ran out under 1 MiB POSTs, Node 96 MB
 * while it started; the other two served their load.
 */
describe("captured Nanos 0.1.54 serial consoles", () => {
  const cases = [
    ["nanos-serial-go-96m-post-oom.txt", "[1.751447] page fill failed with (result:out of memory)"],
    ["nanos-serial-node-128m-post-oom.txt", "[5.034865] page fill failed with (result:out of memory)"],
    ["nanos-serial-node-96m-boot-oom.txt", "[2.377140] page fill failed with (result:out of memory)"],
    ["nanos-serial-go-128m-ok.txt", null],
    ["nanos-serial-node-64m-io-ok.txt", null],
  ] as const;

  it("are an OOM exactly where the kernel said so, and the stop script keeps the first line that did", () => {
    const dir = mkdtempSync(join(tmpdir(), "nanos-serial-"));
    try {
      for (const [fixture, firstLine] of cases) {
        const log = readFileSync(join(__dirname, "fixtures", fixture), "utf8");
        assert.equal(serialLogShowsOom(log), firstLine !== null, fixture);
        writeFileSync(join(dir, "app.log"), log);
        const script = `cd "$1"\n${oomFromConsoleLines(NANOS_OOM_PATTERNS)}echo "$oom"\n`;
        const result = spawnSync("bash", ["-c", script, "bash", dir], { encoding: "utf8" });
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stdout, `${firstLine !== null}\n`, fixture);
        const kept = join(dir, OOM_LINE_FILE);
        assert.equal(existsSync(kept) ? readFileSync(kept, "utf8") : null, firstLine && `${firstLine}\n`, fixture);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("version parsers", () => {
  it("read ops and Nanos versions from `ops version`", () => {
    assert.deepEqual(parseOpsVersion("Ops version: 0.1.43\nNanos version: 0.1.54\n"), {
      ops: "0.1.43",
      nanos: "0.1.54",
    });
    assert.deepEqual(parseOpsVersion("version lookup failed, using local.\nOps version: 0.1.43\n"), {
      ops: "0.1.43",
      nanos: null,
    });
  });

  it("read the QEMU version", () => {
    assert.equal(parseQemuVersion("QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)\nCopyright"), "7.2.19");
    assert.equal(parseQemuVersion("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"), "7.2.22");
    assert.equal(parseQemuVersion("something else"), null);
  });

  it("find the CPU flag ops requires before it asks for KVM", () => {
    assert.equal(cpuVirtFlag("processor\t: 0\nflags\t\t: fpu vme sse2 vmx ept\n"), "vmx");
    assert.equal(cpuVirtFlag("flags\t\t: fpu svm npt\n"), "svm");
    assert.equal(cpuVirtFlag("flags\t\t: fpu sse2 hypervisor\n"), null);
  });
});

describe("nanos availability", () => {
  const kvmOk: KvmProbe = { usable: true, reason: null, detail: {} };
  const kvmBroken: KvmProbe = {
    usable: false,
    reason: "/dev/kvm does not exist (no hardware virtualisation or no kvm module)",
    detail: {},
  };
  const host = {
    opsVersionOutput: "Ops version: 0.1.43\nNanos version: 0.1.54\n",
    qemuVersionOutput: "QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)\n",
    kvm: kvmOk,
    cpuVirtFlag: "vmx" as const,
  };

  it("checks ops, then qemu, then KVM", () => {
    assert.equal(nanosAvailability({ ...host, opsVersionOutput: null }, false).reason, "nanos: ops not installed");
    assert.equal(
      nanosAvailability({ ...host, qemuVersionOutput: null }, false).reason,
      "nanos: qemu-system-x86_64 not installed",
    );
    assert.equal(
      nanosAvailability({ ...host, kvm: kvmBroken }, false).reason,
      "nanos: KVM cannot be used: /dev/kvm does not exist (no hardware virtualisation or no kvm module); set allowEmulation to run under TCG (results are marked emulated)",
    );
  });

  it("runs under KVM when it works and records versions", () => {
    assert.deepEqual(nanosAvailability(host, false), {
      ok: true,
      facts: {
        opsVersion: "0.1.43",
        nanosVersion: "0.1.54",
        qemuVersion: "7.2.19",
        kvmUsable: true,
        kvmReason: null,
        cpuVirtFlag: "vmx",
        accelerator: "kvm",
      },
    });
  });

  it("falls back to TCG only when allowed", () => {
    const emulated = nanosAvailability({ ...host, kvm: kvmBroken }, true);
    assert.equal(emulated.ok, true);
    assert.equal(emulated.facts.accelerator, "tcg");
  });

  it("knows ops will not ask for KVM without vmx/svm in /proc/cpuinfo", () => {
    const noFlag = nanosAvailability({ ...host, cpuVirtFlag: null }, false);
    assert.equal(noFlag.ok, false);
    assert.match(noFlag.reason ?? "", /neither vmx nor svm/);
    assert.equal(nanosAvailability({ ...host, cpuVirtFlag: null }, true).facts.accelerator, "tcg");
  });

  it("on this machine, ops is missing", async (t) => {
    if (await hasCommand("ops", ["version"])) {
      t.skip("ops is installed here");
      return;
    }
    const availability = await nanosPlatform.checkAvailability({ allowEmulation: false });
    assert.equal(availability.ok, false);
    assert.match(availability.reason ?? "", /^nanos: ops not installed/);
  });
});
