import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, it } from "node:test";
import { CommandError, run } from "../../core/exec";
import { shellcheckSkip } from "../../core/testing/requirements";
import { adHocContext } from "./context";
import { dockerRunArgs } from "./docker";
import {
  ALL_RUNTIME_NAMES,
  chooseNetwork,
  GVISOR_SCRIPT_DIR,
  gvisorPlatform,
  gvisorRunArgs,
  gvisorScripts,
  isStaticElf,
  leftoversScript,
  parseRunscVersion,
  resetDetection,
  resolveInstance,
  runtimeName,
  trialFailure,
} from "./gvisor";
import { writeInstanceScripts } from "./instance";
import type { InstanceContext } from "./types";

const root = mkdtempSync(join(tmpdir(), "gvisor-unit-"));
/** What `docker run --runtime=runsc-netstack-systrap` printed on this machine (Docker 20.10.24, runsc 0.0~20240729). */
const NETSTACK_FAILURE = `docker: Error response from daemon: OCI runtime start failed: starting container: setting up network: creating interfaces from net namespace "/proc/12340/ns/net": cannot run with network enabled in root network namespace: unknown.
See 'docker run --help'.
`;
const HOST_ONLY = {
  working: ["host" as const],
  failures: { netstack: "cannot run with network enabled in root network namespace" },
};

function context(knobs: Record<string, string>, n: number, memoryMB = 128): Promise<InstanceContext> {
  return adHocContext({
    platform: gvisorPlatform,
    runtime: "go",
    artifact: "edgelab-go:paper-2025-offline",
    hostPort: 18080,
    workDir: join(root, `ctx-${n}`, "work dir"),
    resources: { cpus: 1, memoryMB },
    knobs,
    runId: "unit",
  });
}

afterEach(() => resetDetection());

describe("gvisor facts parsing", () => {
  it("reads the runsc version from `runsc --version`", async () => {
    assert.equal(parseRunscVersion("runsc version 0.0~20240729.0\nspec: 1.0.2-dev\n"), "0.0~20240729.0");
    assert.equal(parseRunscVersion("bash: runsc: command not found"), null);
  });

  it("keeps the reason of a failed trial run, without docker's wrapping", async () => {
    assert.equal(trialFailure(NETSTACK_FAILURE), "cannot run with network enabled in root network namespace");
    assert.equal(
      trialFailure("docker: Error response from daemon: unknown or invalid runtime name: runsc-x.\n"),
      "unknown or invalid runtime name: runsc-x.",
    );
  });

  it("tells a static ELF (runs FROM scratch) from a dynamic one", (t) => {
    if (!existsSync("/bin/busybox")) return t.skip("busybox-static is not installed");
    assert.equal(isStaticElf(readFileSync("/bin/busybox")), true);
    assert.equal(isStaticElf(readFileSync(process.execPath)), false, "node needs its dynamic loader");
    assert.equal(isStaticElf(Buffer.from("#!/bin/sh\n")), false);
  });

  it("names one runtime per knob combination", async () => {
    assert.equal(runtimeName("host", "ptrace"), "runsc-host-ptrace");
    assert.equal(ALL_RUNTIME_NAMES.length, 6);
    assert.equal(new Set(ALL_RUNTIME_NAMES).size, 6);
  });
});

describe("gvisor network choice", () => {
  it("runs the asked mode where it works, or where nothing was detected", async () => {
    assert.deepEqual(chooseNetwork("netstack", undefined), { network: "netstack", note: null });
    assert.deepEqual(chooseNetwork("netstack", { working: ["netstack", "host"], failures: {} }), {
      network: "netstack",
      note: null,
    });
    assert.deepEqual(chooseNetwork("host", HOST_ONLY), { network: "host", note: null });
  });

  it("uses host where netstack fails here, and says so", async () => {
    const choice = chooseNetwork("netstack", HOST_ONLY);
    assert.equal(choice.network, "host");
    assert.match(choice.note ?? "", /netstack asked but it fails on this host \(cannot run with network enabled/);
  });

  it("never turns host into netstack, nor substitutes when nothing works", async () => {
    assert.equal(chooseNetwork("host", { working: ["netstack"], failures: { host: "x" } }).network, "host");
    assert.equal(
      chooseNetwork("netstack", { working: [], failures: { netstack: "a", host: "b" } }).network,
      "netstack",
    );
  });
});

describe("gvisor docker run arguments", () => {
  it("are docker's CPU, memory and port arguments plus the runsc runtime", async () => {
    for (const cpuMode of ["quota", "pinned"] as const) {
      const ctx = await context({ cpuMode, gvisorNetwork: "host", gvisorPlatform: "ptrace" }, 1);
      const gvisor = gvisorRunArgs(ctx);
      const docker = dockerRunArgs({ ...ctx, knobs: { ...ctx.knobs } });
      for (const arg of docker) assert.ok(gvisor.includes(arg), `${arg} (docker) is in the gvisor arguments`);
      assert.ok(gvisor.includes("--runtime=runsc-host-ptrace"));
      assert.ok(gvisor.includes("--memory=128m") && gvisor.includes("--memory-swap=128m"));
      assert.ok(gvisor.includes(cpuMode === "pinned" ? "--cpuset-cpus=0" : "--cpus=1"));
      assert.equal(gvisor[gvisor.indexOf("--cidfile") + 1], "container.cid");
      assert.ok(gvisor.includes("EDGELAB_RUN=unit"), "the leftover marker is in the container's environment");
      assert.equal(gvisor.at(-1), "edgelab-go:paper-2025-offline");
    }
  });

  it("take the default knobs (netstack, systrap) when the context has none", async () => {
    const ctx = await context({}, 2);
    const { gvisorNetwork: _n, gvisorPlatform: _p, ...knobs } = ctx.knobs;
    assert.equal(resolveInstance({ ...ctx, knobs }).runtime, "runsc-netstack-systrap");
  });

  it("run the host runtime for a netstack cell where only host works, recorded in limits.json's network", async () => {
    resetDetection(HOST_ONLY);
    const ctx = await context({ gvisorNetwork: "netstack", gvisorPlatform: "systrap" }, 3);
    assert.ok(gvisorRunArgs(ctx).includes("--runtime=runsc-host-systrap"));
    const prepare = gvisorScripts(ctx).prepare;
    assert.match(prepare, /NETWORK_HOW='runsc --network=host.*netstack asked but it fails on this host/);
  });
});

describe("gvisor shell", () => {
  const variants: Record<string, string>[] = [
    { cpuMode: "quota", gvisorNetwork: "netstack", gvisorPlatform: "systrap" },
    { cpuMode: "pinned", gvisorNetwork: "host", gvisorPlatform: "ptrace" },
    { cpuMode: "quota", gvisorNetwork: "host", gvisorPlatform: "kvm" },
  ];
  variants.forEach((knobs, n) => {
    it(`generated scripts pass shellcheck: ${JSON.stringify(knobs)}`, async (t) => {
      const skip = await shellcheckSkip();
      if (skip) return t.skip(skip);
      const ctx = await context(knobs, 10 + n);
      const paths = writeInstanceScripts(gvisorScripts(ctx), ctx.workDir);
      await run("shellcheck", ["--severity=style", ...Object.values(paths)]);
    });
  });

  it("the shell files, the leftover sweep and the host steps pass shellcheck", async (t) => {
    const skip = await shellcheckSkip();
    if (skip) return t.skip(skip);
    const files = ["register-runtimes.sh", "sandbox-lib.sh", "prepare.sh", "start.sh", "stop.sh", "cleanup.sh"];
    const sweep = join(root, "leftovers.sh");
    writeFileSync(sweep, leftoversScript("some run"));
    const host = join(root, "host.sh");
    writeFileSync(
      host,
      `#!/usr/bin/env bash\nset -euo pipefail\n${gvisorPlatform.host?.preflightScript}\n${gvisorPlatform.host?.installScript}`,
    );
    await run("shellcheck", ["--severity=style", ...files.map((f) => join(GVISOR_SCRIPT_DIR, f)), sweep, host]);
  });

  it("the instance scripts refuse to run without their variables, naming them", async () => {
    await assert.rejects(run("bash", [join(GVISOR_SCRIPT_DIR, "prepare.sh")], { cwd: root }), (error) => {
      assert.ok(error instanceof CommandError);
      assert.match(error.stderr, /CONTAINER/);
      return true;
    });
  });
});

describe("register-runtimes.sh", () => {
  const script = join(GVISOR_SCRIPT_DIR, "register-runtimes.sh");
  const env = (daemonJson: string) => ({ ...process.env, DAEMON_JSON: daemonJson, RUNSC: "/bin/true", RELOAD: "no" });

  it("merges the six runtimes into daemon.json, keeps every other key, and is idempotent", async (t) => {
    if (
      !(await run("jq", ["--version"]).then(
        () => true,
        () => false,
      ))
    )
      return t.skip("jq is not installed");
    const file = join(mkdtempSync(join(root, "daemon-")), "daemon.json");
    writeFileSync(file, JSON.stringify({ "log-driver": "json-file", runtimes: { mine: { path: "/opt/mine" } } }));
    const first = await run("bash", [script], { env: env(file) });
    assert.match(first.stdout, /updated/);
    const merged = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(merged["log-driver"], "json-file");
    assert.deepEqual(merged.runtimes.mine, { path: "/opt/mine" });
    assert.deepEqual(merged.runtimes["runsc-host-kvm"], {
      path: "/bin/true",
      runtimeArgs: ["--network=host", "--platform=kvm"],
    });
    assert.deepEqual(merged.runtimes["runsc-netstack-systrap"].runtimeArgs, ["--platform=systrap"]);
    assert.deepEqual(Object.keys(merged.runtimes).sort(), ["mine", ...ALL_RUNTIME_NAMES].sort());
    const before = readFileSync(file, "utf8");
    const second = await run("bash", [script], { env: env(file) });
    assert.match(second.stdout, /unchanged/);
    assert.equal(readFileSync(file, "utf8"), before);
  });

  it("creates daemon.json when there is none, and refuses one that is not JSON", async (t) => {
    if (
      !(await run("jq", ["--version"]).then(
        () => true,
        () => false,
      ))
    )
      return t.skip("jq is not installed");
    const dir = mkdtempSync(join(root, "daemon-"));
    await run("bash", [script], { env: env(join(dir, "new", "daemon.json")) });
    assert.equal(Object.keys(JSON.parse(readFileSync(join(dir, "new", "daemon.json"), "utf8")).runtimes).length, 6);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ not json");
    await assert.rejects(run("bash", [script], { env: env(broken) }), /broken\.json is not valid JSON/);
    assert.equal(readFileSync(broken, "utf8"), "{ not json", "a broken file is left as it was");
  });
});
