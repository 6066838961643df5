import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { shellcheckSkip, skipUnlessTool } from "../../core/testing/requirements";
import {
  BUSYBOX_STATIC,
  INIT_SCRIPT,
  initramfsEntries,
  RUN_APP_PATH,
  RUN_APP_SCRIPT,
  rootDiskFiles,
  writeRootDisk,
} from "./microvm";
import {
  GUEST_MODULES,
  loadOrder,
  type ModuleInfo,
  parseAptCandidate,
  parseKernelDependency,
  parseModinfo,
  VIRTIO_NET_MODULES,
} from "./microvm/kernel";
import { type NewcEntry, parentDirs, writeNewc } from "./microvm/newc";

const fixtures = join(__dirname, "fixtures");
const modinfoDir = join(fixtures, "microvm-modinfo-6.1.0-57-cloud-amd64");
const modinfo = (name: string): ModuleInfo => parseModinfo(readFileSync(join(modinfoDir, `${name}.modinfo`)));

describe("the kernel package from apt (captured output)", () => {
  it("finds the concrete package behind linux-image-cloud-amd64", () => {
    const output = readFileSync(join(fixtures, "apt-cache-depends-linux-image-cloud-amd64.txt"), "utf8");
    assert.equal(parseKernelDependency(output), "linux-image-6.1.0-57-cloud-amd64");
    assert.equal(parseKernelDependency("linux-image-cloud-amd64\n"), null);
  });

  it("reads the version apt would take", () => {
    const output = readFileSync(join(fixtures, "apt-cache-policy-linux-image-6.1.0-57-cloud-amd64.txt"), "utf8");
    assert.equal(parseAptCandidate(output), "6.1.192-3");
    assert.equal(parseAptCandidate("foo:\n  Installed: (none)\n  Candidate: (none)\n"), null);
  });
});

describe("virtio module order from the modules' own .modinfo (captured from the 6.1.0-57 package)", () => {
  it("reads name and depends", () => {
    assert.deepEqual(modinfo("virtio_net"), { name: "virtio_net", depends: ["virtio_ring", "virtio", "net_failover"] });
    assert.deepEqual(modinfo("virtio_ring"), { name: "virtio_ring", depends: [] });
  });

  it("adds the disk on virtio-scsi: virtio_scsi and sd_mod after scsi_common and scsi_mod", () => {
    const order = loadOrder(GUEST_MODULES, modinfo);
    for (const name of ["virtio_scsi", "sd_mod", "scsi_mod", "scsi_common"]) assert.ok(order.includes(name), name);
    assert.ok(order.indexOf("scsi_common") < order.indexOf("scsi_mod"));
    assert.ok(order.indexOf("scsi_mod") < order.indexOf("sd_mod"));
    assert.ok(order.indexOf("virtio_ring") < order.indexOf("virtio_scsi"));
    assert.equal(order.length, 12);
  });

  it("loads every dependency first: the eight modules docs/design.md lists, virtio_ring before virtio", () => {
    const order = loadOrder(VIRTIO_NET_MODULES, modinfo);
    assert.deepEqual(
      [...order].sort(),
      [
        "failover",
        "net_failover",
        "virtio",
        "virtio_net",
        "virtio_pci",
        "virtio_pci_legacy_dev",
        "virtio_pci_modern_dev",
        "virtio_ring",
      ].sort(),
    );
    for (const [index, name] of order.entries()) {
      for (const dependency of modinfo(name).depends) {
        assert.ok(order.indexOf(dependency) < index, `${dependency} before ${name}`);
      }
    }
    assert.ok(order.indexOf("virtio_ring") < order.indexOf("virtio"));
  });

  it("names a cycle and a module without .modinfo", () => {
    const cyclic = (name: string): ModuleInfo => ({ name, depends: name === "a" ? ["b"] : ["a"] });
    assert.throws(() => loadOrder(["a"], cyclic), /cycle/);
    assert.throws(() => parseModinfo(Buffer.from("not a module")), /no name=/);
  });
});

describe("the newc writer", () => {
  const entries: NewcEntry[] = [
    { type: "dir", path: "bin", mode: 0o755 },
    { type: "dir", path: "dev", mode: 0o755 },
    { type: "file", path: "bin/hello", mode: 0o755, data: Buffer.from("#!/bin/sh\necho hi\n") },
    { type: "file", path: "empty", mode: 0o644, data: Buffer.alloc(0) },
    { type: "symlink", path: "bin/sh", target: "busybox" },
    { type: "char", path: "dev/console", mode: 0o600, major: 5, minor: 1 },
  ];

  it("is reproducible and unpacks with a real cpio", async (t) => {
    const busyboxSkip = await skipUnlessTool("busybox", ["true"], "apt-get install busybox-static");
    if (busyboxSkip) return t.skip(busyboxSkip);
    const archive = writeNewc(entries);
    assert.deepEqual(writeNewc(entries), archive);
    assert.equal(archive.subarray(0, 6).toString(), "070701");
    const dir = mkdtempSync(join(tmpdir(), "newc-"));
    const unpacked = spawnSync("busybox", ["cpio", "-i", "-d"], { cwd: dir, input: archive });
    assert.equal(unpacked.status, 0, unpacked.stderr.toString());
    assert.deepEqual(readdirSync(dir).sort(), ["bin", "dev", "empty"]);
    assert.equal(readFileSync(join(dir, "bin/hello"), "utf8"), "#!/bin/sh\necho hi\n");
    assert.equal(statSync(join(dir, "bin/hello")).mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(dir, "bin/sh")), "busybox");
    assert.equal(statSync(join(dir, "empty")).size, 0);
    const consoleNode = statSync(join(dir, "dev/console"));
    assert.ok(consoleNode.isCharacterDevice());
    assert.equal(consoleNode.rdev, (5 << 8) | 1);
  });

  it("refuses what the kernel could not unpack", () => {
    assert.throws(
      () => writeNewc([{ type: "file", path: "a/b", mode: 0o644, data: Buffer.alloc(1) }]),
      /before its folder a/,
    );
    assert.throws(
      () =>
        writeNewc([
          { type: "dir", path: "a", mode: 0o755 },
          { type: "dir", path: "a", mode: 0o755 },
        ]),
      /appears twice/,
    );
    assert.throws(() => writeNewc([{ type: "dir", path: "../etc", mode: 0o755 }]), /normal path/);
  });

  it("lists parent folders parents first", () => {
    assert.deepEqual(parentDirs(["/usr/local/bin/node", "app/app.js", "init"]), [
      "app",
      "usr",
      "usr/local",
      "usr/local/bin",
    ]);
  });
});

describe("the initramfs and the root disk", () => {
  const dir = mkdtempSync(join(tmpdir(), "initramfs-"));
  const ko = (name: string) => {
    const path = join(dir, `${name}.ko`);
    writeFileSync(path, `module ${name}`);
    return { name, path };
  };
  const app = join(dir, "app");
  writeFileSync(app, "binary");
  const guest = {
    files: [{ path: "/usr/local/bin/node", source: app, mode: 0o755 }],
    command: ["/usr/local/bin/node", "/app/app.js"],
  };

  it("the initramfs holds init, busybox and the modules with their order, folders first, and no app", () => {
    const entries = initramfsEntries(
      { modules: [ko("virtio_ring"), ko("virtio")] },
      Buffer.from("#!/bin/busybox sh\n"),
      Buffer.from("busybox"),
    );
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const file = (path: string) => {
      const entry = byPath.get(path);
      assert.ok(entry && entry.type === "file", path);
      return entry.data.toString();
    };
    assert.equal(file("lib/modules/microvm/load-order"), "virtio_ring\nvirtio\n");
    assert.equal(file("lib/modules/microvm/virtio.ko"), "module virtio");
    assert.equal(file("init"), "#!/bin/busybox sh\n");
    assert.deepEqual(byPath.get("dev/console"), { type: "char", path: "dev/console", mode: 0o600, major: 5, minor: 1 });
    assert.ok(byPath.has("newroot"), "the mount point of the root disk");
    assert.equal(byPath.has("etc/microvm/command"), false);
    assert.equal(byPath.has("usr/local/bin/node"), false);
    // writeNewc checks that every folder comes before what it holds.
    assert.ok(writeNewc(entries).length > 0);
  });

  it("the root disk holds busybox, the app's init, the command and the app's files", () => {
    const { files, dirs } = rootDiskFiles(guest, Buffer.from("#!/bin/busybox sh\n"));
    const byPath = new Map(files.map((f) => [f.path, f]));
    assert.deepEqual(byPath.get("bin/busybox"), { path: "bin/busybox", mode: 0o755, source: BUSYBOX_STATIC });
    assert.equal(byPath.get(RUN_APP_PATH)?.mode, 0o755);
    const command = byPath.get("etc/microvm/command");
    assert.ok(command && "data" in command);
    assert.equal(command.data.toString(), "/usr/local/bin/node\n/app/app.js\n");
    assert.deepEqual(byPath.get("usr/local/bin/node"), { path: "usr/local/bin/node", mode: 0o755, source: app });
    assert.deepEqual(dirs, ["dev", "proc", "sys", "tmp"]);
  });

  it("refuses a command argument with a newline (one argument per line)", () => {
    assert.throws(() => rootDiskFiles({ files: [], command: ["a\nb"] }, Buffer.alloc(0)), /newline/);
  });

  it("writes the root disk as an ext4 image without root privileges, files and modes intact", async (t) => {
    const skip =
      (await skipUnlessTool("mke2fs", ["-V"], "apt-get install e2fsprogs")) ||
      (await skipUnlessTool("debugfs", ["-V"], "apt-get install e2fsprogs"));
    if (skip) return t.skip(skip);
    const image = join(dir, "rootfs.ext4");
    const files = [
      { path: "sbin/run", mode: 0o755, data: Buffer.from("#!/bin/sh\n") },
      { path: "usr/local/bin/node", mode: 0o755, source: app },
    ];
    const written = await writeRootDisk({ files, dirs: ["dev", "tmp"] }, join(dir, "staging"), image);
    assert.ok(written.bytes > 0);
    assert.match(written.mke2fs, /^mke2fs \d/);
    const cat = spawnSync("debugfs", ["-R", "cat /usr/local/bin/node", image], { encoding: "utf8" });
    assert.equal(cat.stdout, "binary");
    const stat = spawnSync("debugfs", ["-R", "stat /sbin/run", image], { encoding: "utf8" });
    assert.match(stat.stdout, /Mode:\s+0755/);
    const tmp = spawnSync("debugfs", ["-R", "stat /tmp", image], { encoding: "utf8" });
    assert.match(tmp.stdout, /Mode:\s+01777/);
  });

  it("both init scripts pass shellcheck", async (t) => {
    const skip = await shellcheckSkip();
    if (skip) return t.skip(skip);
    for (const script of [INIT_SCRIPT, RUN_APP_SCRIPT]) {
      const result = spawnSync("shellcheck", [script], { encoding: "utf8" });
      assert.equal(result.status, 0, `${script}: ${result.stdout}`);
    }
  });
});
