import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { alignCommandLines, differingOptions, qemuOptions } from "../../analysis/vmCommandLines";
import { run } from "../../core/exec";
import { shellcheckSkip } from "../../core/testing/requirements";
import { writeInstanceScripts } from "./instance";
import { labQemuName } from "./labVm";
import { microvmScripts, qemuArgs } from "./microvm";
import { nanosDirectAvailability, nanosDirectPlatform, nanosDirectQemuArgs, nanosDirectScripts } from "./nanosDirect";
import { getPlatform } from "./registry";
import type { InstanceContext } from "./types";

const root = mkdtempSync(join(tmpdir(), "nanos-direct-unit-"));

function context(artifact: string, extra: Partial<InstanceContext> = {}): InstanceContext {
  return {
    runtime: "go",
    resources: { cpus: 2, memoryMB: 128 },
    knobs: { cpuMode: "pinned", microvmNetwork: "user", nanosDirectNetwork: "user" },
    env: {},
    artifact,
    workDir: join(root, "work", String(Math.random()).slice(2)),
    instanceName: "edgelab-unit-go-abc123",
    hostPort: 18081,
    bindAddress: "127.0.0.1",
    runId: "unit",
    cpuList: "0-1",
    allowEmulation: true,
    accelerator: "tcg",
    ...extra,
  };
}

/** The launch line of a start script: `setsid [taskset ...] qemu-system-x86_64 ...`. */
function launchLine(start: string): string {
  const line = start.split("\n").find((l) => l.startsWith("setsid "));
  assert.ok(line, "a launch line");
  return line;
}

describe("nanos-direct on the microVM's VMM", () => {
  it("the two VM command lines differ only in the kernel, the disk image and what the kernel needs", () => {
    for (const accelerator of ["kvm", "tcg"] as const) {
      const linux = context("/opt/lab/microvm/go", { accelerator });
      const nanos = { ...linux, artifact: "/opt/lab/nanos-direct/go" };
      const rows = alignCommandLines([
        qemuOptions(["qemu", ...qemuArgs(linux)]),
        qemuOptions(["qemu", ...nanosDirectQemuArgs(nanos)]),
      ]);
      assert.deepEqual(differingOptions(rows), ["-drive", "-kernel", "-initrd"]);
      const drive = rows.find((r) => r.option === "-drive");
      assert.deepEqual(drive?.values, [
        "file=<artifact>/rootfs.ext4,format=raw,if=none,id=hd0,snapshot=on",
        "file=<artifact>/disk.img,format=raw,if=none,id=hd0,snapshot=on",
      ]);
      // The kernel command line travels as -append on the launch line, the Linux guest's only.
      assert.match(launchLine(microvmScripts(linux).start), / -append "\$kernel_args" > qemu\.log/);
      assert.doesNotMatch(launchLine(nanosDirectScripts(nanos).start), /-append/);
      // Pinning, accelerator check and the recorded command line are the same script lines.
      const strip = (start: string) =>
        start
          .split("\n")
          // The launch line (compared above), the kernel command line, comments, and the words
          // limits.json gives the memory limit (each guest says what its kernel keeps).
          .filter((l) => !/^(setsid |kernel_args|#|printf '\{"cpu")/.test(l))
          .map((l) => l.replace(/microvm|nanos-direct/g, "<platform>"));
      assert.deepEqual(strip(nanosDirectScripts(nanos).start), strip(microvmScripts(linux).start));
    }
  });

  it("boots the artifact's image as it is; with environment knobs, an image of its own made by prepare", () => {
    const plain = context("/opt/lab/nanos-direct/go");
    const args = nanosDirectQemuArgs(plain);
    assert.equal(
      args[args.indexOf("-drive") + 1],
      "file=/opt/lab/nanos-direct/go/disk.img,format=raw,if=none,id=hd0,snapshot=on",
    );
    assert.doesNotMatch(nanosDirectScripts(plain).prepare, /mkfs -b/);
    const knobs = context("/opt/lab/nanos-direct/go", { env: { GOMAXPROCS: "2" } });
    const scripts = nanosDirectScripts(knobs);
    assert.equal(
      nanosDirectQemuArgs(knobs)[nanosDirectQemuArgs(knobs).indexOf("-drive") + 1],
      `file=${knobs.workDir}/disk.img,format=raw,if=none,id=hd0,snapshot=on`,
    );
    assert.match(scripts.prepare, /printf '%s' ' "GOMAXPROCS":"2"'/);
    assert.match(
      scripts.prepare,
      /\/opt\/lab\/nanos-direct\/go\/mkfs -b \/opt\/lab\/nanos-direct\/go\/boot\.img -k \/opt\/lab\/nanos-direct\/go\/kernel\.img /,
    );
    assert.match(scripts.stop, /rm -f disk\.img instance\.manifest/);
    assert.match(scripts.cleanup, /rm -f disk\.img instance\.manifest/);
  });

  it("is a platform of its own: Nanos' class, the lab VMM's name and leftover sweep, only user networking", () => {
    assert.equal(getPlatform("nanos-direct"), nanosDirectPlatform);
    assert.deepEqual(nanosDirectPlatform.class, { kernel: "own", isolation: "vm" });
    assert.equal(nanosDirectPlatform.cleanupLeftovers, getPlatform("microvm").cleanupLeftovers);
    assert.match(
      nanosDirectScripts(context("/a")).start,
      new RegExp(labQemuName(context("/a")).replaceAll(".", "\\.")),
    );
    assert.throws(
      () => nanosDirectScripts(context("/a", { knobs: { cpuMode: "quota", nanosDirectNetwork: "bridged" } })),
      /knob nanosDirectNetwork is "bridged"; allowed: user/,
    );
    // The same locked release as the nanos platform, unpacked by the same ops step.
    assert.deepEqual(nanosDirectPlatform.host?.downloads, {
      ops: "ops",
      nanosKernel: "nanos",
      nanosCommon: null,
      nanosSource: "nanos",
    });
    assert.match(nanosDirectPlatform.host?.installScript ?? "", /make -C "\$build" -j"\$\(nproc\)" mkfs/);
  });

  it("is unavailable, in words, without a Nanos release; else as the microVM (KVM, or TCG when allowed)", () => {
    const missing = nanosDirectAvailability(
      "no Nanos 0.1.54 release at /x (ops' folder): set EDGELAB_NANOS_RELEASE",
      { qemuVersionOutput: null, kvm: null },
      true,
    );
    assert.deepEqual(missing, {
      ok: false,
      reason: "nanos-direct: no Nanos 0.1.54 release at /x (ops' folder): set EDGELAB_NANOS_RELEASE",
      facts: {},
    });
    const release = {
      dir: "/r",
      kernel: "/r/kernel.img",
      boot: "/r/boot.img",
      mkfs: "/r/mkfs",
      klibs: "/r/klibs",
      kernelSha256: "ab",
      source: "EDGELAB_NANOS_RELEASE",
    };
    const host = {
      qemuVersionOutput: "QEMU emulator version 7.2.22\n",
      kvm: { usable: false, reason: "/dev/kvm does not exist", detail: {} },
    };
    const refused = nanosDirectAvailability(release, host, false);
    assert.equal(refused.ok, false);
    assert.match(
      refused.reason ?? "",
      /^nanos-direct: KVM cannot be used: \/dev\/kvm does not exist; set allowEmulation/,
    );
    const emulated = nanosDirectAvailability(release, host, true);
    assert.equal(emulated.ok, true);
    assert.equal(emulated.facts.accelerator, "tcg");
    assert.equal(emulated.facts.nanosKernelSha256, "ab");
  });

  it("generated scripts pass shellcheck (kvm and tcg, with and without an image of its own)", async (t) => {
    const skip = await shellcheckSkip();
    if (skip) return t.skip(skip);
    for (const accelerator of ["kvm", "tcg"] as const) {
      for (const env of [{}, { NODE_OPTIONS: "--max-old-space-size=96" }] as Record<string, string>[]) {
        const ctx = context("/opt/lab/nanos-direct/node", { accelerator, env, runtime: "node" });
        const paths = writeInstanceScripts(nanosDirectPlatform.scripts(ctx), ctx.workDir);
        await run("shellcheck", ["--severity=style", ...Object.values(paths)]);
      }
    }
  });
});
