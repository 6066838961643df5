import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { run } from "../../core/exec";
import { shellcheckSkip } from "../../core/testing/requirements";
import { hasControlCharacters } from "../../core/text";
import { writeInstanceScripts } from "./instance";
import { judgeTrialBoot, type KvmProbe, probeKvm } from "./kvm";
import { isLabQemu, labQemuPids, userNetworkArgs } from "./labVm";
import {
  MICROVM_OOM_PATTERNS,
  microvmAvailability,
  microvmScripts,
  parseAppExit,
  parseGuestMemTotalKb,
  qemuArgs,
  serialLogShowsOom,
} from "./microvm";
import { getPlatform } from "./registry";
import type { InstanceContext } from "./types";

const root = mkdtempSync(join(tmpdir(), "microvm-unit-"));
const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8");

function context(knobs: Record<string, string>, extra: Partial<InstanceContext> = {}): InstanceContext {
  return {
    runtime: "go",
    resources: { cpus: 2, memoryMB: 128 },
    knobs: { cpuMode: "quota", ...knobs },
    env: {},
    artifact: "/opt/edge lab/microvm/go",
    workDir: join(root, "work dir", String(Math.random()).slice(2)),
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

describe("microvm qemu command line", () => {
  it("q35, the same -m and -smp, the kernel and initrd of the artifact, its root disk on virtio-scsi, serial to app.log", () => {
    const ctx = context({});
    const args = qemuArgs(ctx);
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    assert.equal(after("-machine"), "q35");
    assert.equal(after("-accel"), "tcg");
    assert.equal(after("-cpu"), "max");
    assert.equal(after("-m"), "128M");
    assert.equal(after("-smp"), "2");
    assert.equal(after("-kernel"), "/opt/edge lab/microvm/go/vmlinuz");
    assert.equal(after("-initrd"), "/opt/edge lab/microvm/go/initrd.img");
    assert.equal(after("-serial"), `file:${ctx.workDir}/app.log`);
    assert.equal(after("-name"), "edgelab-vm.edgelab-unit-go-abc123");
    assert.equal(after("-drive"), "file=/opt/edge lab/microvm/go/rootfs.ext4,format=raw,if=none,id=hd0,snapshot=on");
    assert.ok(args.includes("scsi-hd,bus=scsi0.0,drive=hd0"));
    assert.ok(args.includes("-nographic") && args.includes("-no-reboot"));
    assert.equal(qemuArgs(context({}, { accelerator: "kvm" }))[args.indexOf("-cpu") + 1], "host");
  });

  it("user-mode networking forwards the bind address's host port to the app in the guest", () => {
    const args = userNetworkArgs(context({}, { bindAddress: "10.0.0.5", hostPort: 40001 }));
    assert.equal(args[1], "user,id=net0,hostfwd=tcp:10.0.0.5:40001-:8080");
    assert.match(
      args[3] ?? "",
      /^virtio-net-pci,bus=pci\.3,addr=0x0,netdev=net0,mac=52:54:00(:[0-9a-f]{2}){3},romfile=$/,
    );
  });

  it("refuses TCG without allowEmulation, a bad knob, a name QEMU would split, no artifact", () => {
    assert.throws(() => microvmScripts(context({}, { allowEmulation: false })), /needs allowEmulation/);
    assert.throws(
      () => microvmScripts(context({ microvmNetwork: "tap" as never })),
      /microvmNetwork is "tap"; allowed: user, bridged/,
    );
    assert.throws(() => microvmScripts(context({}, { instanceName: "a,b" })), /letters, digits/);
    assert.throws(
      () => microvmScripts(context({}, { artifact: "" })),
      /the artifact \(kernel, initramfs and root disk folder\) is empty/,
    );
    assert.throws(() => microvmScripts(context({}, { resources: { cpus: 0, memoryMB: 128 } })), /resources.cpus is 0/);
  });

  it("stamps the clock right before the qemu launch; pins the whole qemu in pinned mode", () => {
    const start = microvmScripts(context({ cpuMode: "pinned" })).start;
    const lines = start.split("\n");
    const stamp = lines.indexOf(`printf '%s\\n' "$EPOCHREALTIME" > launch.stamp`);
    assert.ok(stamp > 0);
    assert.match(lines[stamp + 1] ?? "", /^setsid taskset -c 0-1 qemu-system-x86_64 /);
    assert.match(start, /taskset -a -p -c 0-1 "\$pid"/);
    assert.doesNotMatch(microvmScripts(context({ cpuMode: "quota" })).start, /taskset -/);
  });

  it("bridged: prepare leases the tap's address, start passes it on the kernel command line, stop removes the tap", () => {
    const scripts = microvmScripts(context({ microvmNetwork: "bridged" }));
    assert.match(scripts.prepare, /VMNET_TAP=edgelabvm-[0-9a-f]{5} .*tap-up\.sh'? > guest\.address/);
    assert.match(scripts.start, /^kernel_args\+=" microvm\.ip=\$\(cat guest\.address\)\/24"$/m);
    assert.match(scripts.start, /^kernel_args\+=" "microvm\.gw=10\.231\.0\.1$/m);
    assert.match(scripts.start, / -append "\$kernel_args" /);
    assert.match(scripts.start, /tap,id=net0,ifname=edgelabvm-[0-9a-f]{5},script=no,downscript=no/);
    assert.match(scripts.stop, /tap-down\.sh'? \|\| true/);
    assert.match(scripts.cleanup, /tap-down\.sh'? \|\| true/);
    assert.doesNotMatch(microvmScripts(context({})).stop, /tap-down/);
  });

  for (const knobs of [
    { cpuMode: "quota", microvmNetwork: "user" },
    { cpuMode: "pinned", microvmNetwork: "bridged" },
  ] as const) {
    it(`generated scripts pass shellcheck (${JSON.stringify(knobs)}, kvm and tcg)`, async (t) => {
      const skip = await shellcheckSkip();
      if (skip) return t.skip(skip);
      for (const accelerator of ["kvm", "tcg"] as const) {
        const ctx = context(knobs, { accelerator });
        const paths = writeInstanceScripts(getPlatform("microvm").scripts(ctx), ctx.workDir);
        await run("shellcheck", ["--severity=style", ...Object.values(paths)]);
      }
    });
  }
});

describe("the serial console (captured from real guests under TCG)", () => {
  it("an OOM kill by the guest kernel", () => {
    const log = fixture("microvm-serial-go-80m-oom.txt");
    assert.equal(serialLogShowsOom(log), true);
    assert.deepEqual(parseAppExit(log), { exitCode: null, signal: 9 });
    assert.equal(parseGuestMemTotalKb(log), 44636);
  });

  it("a guest stopped by the lab: no OOM, no app exit", () => {
    const log = fixture("microvm-serial-go-128m-stopped.txt");
    assert.equal(serialLogShowsOom(log), false);
    assert.equal(parseAppExit(log), null);
    assert.equal(parseGuestMemTotalKb(log), 93788);
  });

  it("a guest whose initramfs does not fit in its memory: the kernel panics while unpacking it", () => {
    const log = fixture("microvm-serial-node-192m-initramfs.txt");
    assert.match(log, /Kernel panic - not syncing: System is deadlocked on memory/);
    assert.equal(parseAppExit(log), null);
    assert.equal(serialLogShowsOom(log), true);
  });

  it("the patterns are valid POSIX ERE for the stop script's grep -E", async () => {
    const file = join(root, "oom.log");
    mkdirSync(root, { recursive: true });
    writeFileSync(file, "[   12.6] Out of memory: Killed process 100 (edgeapp-go)\n");
    await run("grep", ["-aEq", MICROVM_OOM_PATTERNS.join("|"), file]);
    writeFileSync(file, "fine\n");
    await assert.rejects(run("grep", ["-aEq", MICROVM_OOM_PATTERNS.join("|"), file]));
  });

  it("reads the app's exit status as init prints it", () => {
    assert.deepEqual(parseAppExit("microvm-init: app exited with status 2\n"), { exitCode: 2, signal: null });
  });
});

describe("availability", () => {
  const kvm = (usable: boolean) => ({ usable, reason: usable ? null : "/dev/kvm does not exist", detail: {} });
  const qemu = "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n";

  it("KVM when usable", () => {
    assert.deepEqual(microvmAvailability({ qemuVersionOutput: qemu, kvm: kvm(true) }, false), {
      ok: true,
      facts: { qemuVersion: "7.2.22", kvmUsable: true, kvmReason: null, accelerator: "kvm" },
    });
  });

  it("TCG only with allowEmulation, refused otherwise with the reason", () => {
    const refused = microvmAvailability({ qemuVersionOutput: qemu, kvm: kvm(false) }, false);
    assert.equal(refused.ok, false);
    assert.match(refused.reason ?? "", /KVM cannot be used: \/dev\/kvm does not exist; set allowEmulation/);
    const emulated = microvmAvailability({ qemuVersionOutput: qemu, kvm: kvm(false) }, true);
    assert.equal(emulated.ok, true);
    assert.equal(emulated.facts.accelerator, "tcg");
  });

  it("no qemu", () => {
    const missing = microvmAvailability({ qemuVersionOutput: null, kvm: null }, true);
    assert.equal(missing.ok, false);
    assert.match(missing.reason ?? "", /qemu-system-x86_64 not installed/);
  });
});

describe("availability where KVM cannot run a guest (trial outcomes captured here, and no /dev/kvm)", () => {
  const qemu = "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n";
  const context = { qemu: "qemu-system-x86_64", cpu: "host" as const, timeoutMs: 10_000 };
  const seabiosHang = readFileSync(
    join(__dirname, "..", "..", "core", "fixtures", "seabios-serial-kvm-hang.txt"),
    "latin1",
  );
  const msrAbort = readFileSync(join(__dirname, "fixtures", "kvm-trial", "cpu-host-msr-abort.stderr"), "latin1");
  const probes = async (): Promise<[string, KvmProbe][]> => [
    ["no /dev/kvm", await probeKvm({ device: "/nonexistent/kvm" })],
    [
      "a guest that hangs after SeaBIOS",
      {
        ...judgeTrialBoot(
          { exitCode: null, stderr: "", timedOut: true, elapsedMs: 10_000, console: seabiosHang },
          context,
        ),
        detail: {},
      },
    ],
    [
      "a QEMU that aborts at a KVM MSR",
      {
        ...judgeTrialBoot({ exitCode: null, stderr: msrAbort, timedOut: false, elapsedMs: 40, console: "" }, context),
        detail: {},
      },
    ],
  ];

  it("runs under TCG with allowEmulation, else is skipped with one plain line saying what was seen", async () => {
    for (const [seen, kvm] of await probes()) {
      assert.equal(kvm.usable, false, seen);
      const emulated = microvmAvailability({ qemuVersionOutput: qemu, kvm }, true);
      assert.deepEqual(
        [emulated.ok, emulated.facts.accelerator, emulated.facts.kvmUsable, emulated.facts.kvmReason],
        [true, "tcg", false, kvm.reason],
        seen,
      );
      const refused = microvmAvailability({ qemuVersionOutput: qemu, kvm }, false);
      assert.equal(refused.ok, false, seen);
      assert.ok(refused.reason?.startsWith(`microvm: KVM cannot be used: ${kvm.reason}; set allowEmulation`), seen);
      assert.equal(hasControlCharacters(refused.reason ?? ""), false, seen);
      assert.equal(refused.reason?.includes("\n"), false, seen);
    }
  });
});

describe("leftover qemus", () => {
  it("recognises the lab VMM's qemu by its -name (and older runs' microVM name), and nothing else", () => {
    assert.equal(isLabQemu(["qemu-system-x86_64", "-name", "edgelab-vm.edgelab-r1-go-1a2b3c", "-m", "128M"]), true);
    assert.equal(
      isLabQemu(["qemu-system-x86_64", "-name", "edgelab-microvm.edgelab-r1-go-1a2b3c", "-m", "128M"]),
      true,
    );
    assert.equal(isLabQemu(["/usr/bin/qemu-system-x86_64", "-name", "nanos-vm", "-m", "128M"]), false);
    assert.equal(isLabQemu(["qemu-system-x86_64", "-machine", "q35"]), false);
    assert.equal(isLabQemu(["bash", "-c", "echo -name edgelab-microvm.x"]), false);
  });

  it("scans a /proc-like tree", () => {
    const proc = mkdtempSync(join(tmpdir(), "proc-"));
    const add = (pid: string, argv: string[]) => {
      mkdirSync(join(proc, pid));
      writeFileSync(join(proc, pid, "cmdline"), `${argv.join("\0")}\0`);
    };
    add("101", ["qemu-system-x86_64", "-name", "edgelab-vm.edgelab-a", "-m", "64M"]);
    add("102", ["qemu-system-x86_64", "-name", "someone-else"]);
    add("103", ["sleep", "1"]);
    mkdirSync(join(proc, "self"));
    assert.deepEqual(labQemuPids(proc), [{ pid: 101, name: "edgelab-vm.edgelab-a" }]);
  });
});
