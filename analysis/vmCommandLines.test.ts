import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { shellQuote } from "../core/shell";
import {
  alignCommandLines,
  differingOptions,
  normaliseValue,
  qemuOptions,
  splitShellWords,
  vmRowsMarkdown,
} from "./vmCommandLines";

/** Trial command lines as the runner records them (the start scripts' /proc/<pid>/cmdline). */
const microvm = [
  "qemu-system-x86_64",
  ...["-name", "edgelab-vm.edgelab-r1-trial-microvm-1a2b3c", "-machine", "q35", "-accel", "tcg", "-cpu", "max"],
  ...["-m", "256M", "-smp", "1", "-nographic", "-nodefaults", "-no-user-config", "-no-reboot"],
  ...[
    "-drive",
    "file=/opt/edgelab/build/artifacts/paper-2025/microvm/go/rootfs.ext4,format=raw,if=none,id=hd0,snapshot=on",
  ],
  ...["-serial", "file:/tmp/edgelab-trial-x/microvm/first/app.log", "-monitor", "none"],
  ...["-kernel", "/opt/edgelab/build/artifacts/paper-2025/microvm/go/vmlinuz"],
  ...["-initrd", "/opt/edgelab/build/artifacts/paper-2025/microvm/go/initrd.img"],
  ...["-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:41234-:8080"],
  ...["-device", "virtio-net-pci,bus=pci.3,addr=0x0,netdev=net0,mac=52:54:00:aa:bb:cc,romfile="],
  ...["-append", "console=ttyS0 quiet panic=-1 rootfstype=ramfs"],
];
const nanosDirect = [
  "qemu-system-x86_64",
  ...["-name", "edgelab-vm.edgelab-r1-trial-nanos-direct-4d5e6f", "-machine", "q35", "-accel", "tcg", "-cpu", "max"],
  ...["-m", "256M", "-smp", "1", "-nographic", "-nodefaults", "-no-user-config", "-no-reboot"],
  ...[
    "-drive",
    "file=/opt/edgelab/build/artifacts/paper-2025/nanos-direct/go/disk.img,format=raw,if=none,id=hd0,snapshot=on",
  ],
  ...["-serial", "file:/tmp/edgelab-trial-x/nanos-direct/first/app.log", "-monitor", "none"],
  ...["-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:40001-:8080"],
  ...["-device", "virtio-net-pci,bus=pci.3,addr=0x0,netdev=net0,mac=52:54:00:11:22:33,romfile="],
];

describe("the VM command lines side by side", () => {
  it("reads options, flags and a value that starts with a dash", () => {
    assert.deepEqual(qemuOptions(["qemu", "-nographic", "-m", "64M", "-append", "-x", "-s"]), [
      { option: "-nographic", value: null },
      { option: "-m", value: "64M" },
      { option: "-append", value: null },
      { option: "-x", value: null },
      { option: "-s", value: null },
    ]);
    assert.deepEqual(qemuOptions(["qemu", "-no-reboot", "panic=-1"]), [{ option: "-no-reboot", value: "panic=-1" }]);
  });

  it("hides what names one instance and where the artifact lies", () => {
    assert.equal(normaliseValue("-name", "edgelab-vm.edgelab-r1-go-1a2b3c"), "edgelab-vm.<instance>");
    assert.equal(normaliseValue("-serial", "file:/tmp/x y/app.log"), "file:<work>/app.log");
    assert.equal(
      normaliseValue("-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:41234-:8080"),
      "user,id=net0,hostfwd=tcp:127.0.0.1:<port>-:8080",
    );
    assert.equal(normaliseValue("-kernel", "/a/b/vmlinuz"), "<artifact>/vmlinuz");
    assert.equal(normaliseValue("-drive", "file=/a/b/disk.img,format=raw"), "file=<artifact>/disk.img,format=raw");
  });

  it("reads back the shell-quoted line the manifest keeps", () => {
    assert.deepEqual(splitShellWords(microvm.map(shellQuote).join(" ")), microvm);
    assert.deepEqual(splitShellWords("a 'b c' d\\ e ''"), ["a", "b c", "d e", ""]);
  });

  it("aligns the two lines: they differ in the kernel, its initrd and command line, and the disk image", () => {
    const rows = alignCommandLines([qemuOptions(microvm), qemuOptions(nanosDirect)]);
    assert.deepEqual(differingOptions(rows), ["-drive", "-kernel", "-initrd", "-append"]);
    assert.deepEqual(rows.find((r) => r.option === "-kernel")?.values, ["<artifact>/vmlinuz", undefined]);
    assert.ok(rows.filter((r) => r.same).length >= 12);
    const markdown = vmRowsMarkdown({ platforms: ["microvm", "nanos-direct"], rows, guestMemory: [] });
    assert.match(markdown, /differ in -drive, -kernel, -initrd, -append\./);
    assert.match(markdown, /\| -kernel \*\*≠\*\* \| `<artifact>\/vmlinuz` \| `–` \|/);
  });

  it("a third line (ops') is set against the first too: its own options are rows of their own", () => {
    const ops = ["qemu-system-x86_64", "-machine", "q35", "-device", "virtio-balloon", "-m", "256M"];
    const rows = alignCommandLines([qemuOptions(microvm), qemuOptions(nanosDirect), qemuOptions(ops)]);
    const balloon = rows.find((r) => r.values[2] === "virtio-balloon");
    assert.deepEqual(balloon?.values, [undefined, undefined, "virtio-balloon"]);
    assert.equal(rows.find((r) => r.option === "-machine")?.same, true);
  });
});
