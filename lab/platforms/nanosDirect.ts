/**
 * `nanos-direct`: the revision's Nanos release on the lab's own VMM (./labVm.ts), without ops.
 * Its QEMU command line is the microVM's: the same machine type, CPU model, devices, memory, vCPUs,
 * networking, pinning and serial console; only the kernel and the disk differ (Nanos boots from
 * its disk, so there is no -kernel, -initrd or -append). The image is made by the release's own
 * mkfs from the manifest ops 0.1.43 would write (workloads/artifacts/nanosDirect.ts).
 *
 * Its own platform, not a knob of `nanos`: a platform's artifact is one recipe per runtime, and the
 * two forms need different artifacts (an ops image, a mkfs image); and as a row of its own it is
 * compared with `nanos` (what ops adds) and `microvm` (Linux vs Nanos on one VMM) like any other.
 */

import { join } from "node:path";
import { type Shell, sh, shellCode } from "../../core/shell";
import { mkfsArgs, NANOS_DIRECT_FILES, nanosDirectRecipe } from "../../workloads/artifacts/nanosDirect";
import { MANIFEST_END, nanosEnvEntry } from "../../workloads/artifacts/nanosManifest";
import { findNanosRelease, type NanosRelease } from "../../workloads/artifacts/nanosRelease";
import { cleanupLabVmLeftovers, type LabVmGuest, labVmQemuArgs, labVmScripts } from "./labVm";
import {
  gatherLabVmHostFacts,
  LAB_VM_HOST_INSTALL,
  LAB_VM_HOST_PREFLIGHT,
  labVmAvailability,
  type MicrovmHostFacts,
} from "./microvm";
import { NANOS_OOM_PATTERNS } from "./nanos";
import { NANOS_MKFS_BUILD_PACKAGES, NANOS_MKFS_SH, nanosHostInstall } from "./nanos/host";
import { oomFromConsoleLines } from "./qemuShell";
import type { Availability, InstanceContext, InstanceScripts, KnobSpec, Platform } from "./types";
import { DEFAULT_VMNET, type VmnetSettings } from "./vmnet";

/**
 * Only user-mode networking: Nanos takes a static address from its manifest (ipaddr, gateway),
 * so a bridged guest would need its image made per leased address; over slirp it asks DHCP.
 */
export const NANOS_DIRECT_NETWORKS = ["user"] as const;

export const nanosDirectKnobs: Record<"nanosDirectNetwork", KnobSpec> = {
  nanosDirectNetwork: {
    values: NANOS_DIRECT_NETWORKS,
    default: "user",
    description: "user: QEMU user-mode networking (slirp) with a host port forward, as the microVM's and the paper's",
  },
};

/** The instance's own disk, made by prepare when the app's environment adds variables to the image's. */
const INSTANCE_DISK = "disk.img";
const INSTANCE_MANIFEST = "instance.manifest";

/** Whether this instance boots an image of its own (its environment added) rather than the artifact's. */
function ownDisk(ctx: InstanceContext): boolean {
  return Object.keys(ctx.env).length > 0;
}

function diskOf(ctx: InstanceContext): string {
  return ownDisk(ctx) ? join(ctx.workDir, INSTANCE_DISK) : join(ctx.artifact, NANOS_DIRECT_FILES.disk);
}

/**
 * Nanos reads its environment from the image: an instance whose runtime knobs set variables
 * (GOMAXPROCS, NODE_OPTIONS) gets an image of its own, the artifact's manifest with them added,
 * made by the same mkfs before the launch (off the clock) and removed at stop.
 */
function prepareLines(ctx: InstanceContext): Shell {
  if (!ownDisk(ctx)) return sh``;
  // Names as every platform allows them; values are quoted Nanos strings (any character).
  for (const name of Object.keys(ctx.env)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name))
      throw new Error(`nanos-direct: environment variable name ${name} is not allowed`);
  }
  const entries = Object.entries(ctx.env).map(([name, value]) => ` ${nanosEnvEntry(name, value)}`);
  const mkfs = join(ctx.artifact, NANOS_DIRECT_FILES.mkfs);
  return sh`# The app's environment lives in the image: this instance's image, with its variables added.
{ cat ${join(ctx.artifact, NANOS_DIRECT_FILES.prefix)}; printf '%s' ${entries}; printf '%s' ${MANIFEST_END}; } > ${INSTANCE_MANIFEST}
if ! ${mkfs} ${mkfsArgs(ctx.artifact, join(ctx.workDir, INSTANCE_DISK))} < ${INSTANCE_MANIFEST} > mkfs.log 2>&1; then
  echo "nanos-direct: mkfs failed:" >&2
  cat mkfs.log >&2
  exit 1
fi
`;
}

/**
 * exit.json from the serial log: the Nanos kernel's out-of-memory messages (and the runtimes'
 * own) make it an OOM. The app's exit status is not observable (qemu is no child of ours).
 */
const RECORD_EXIT = sh`${oomFromConsoleLines(NANOS_OOM_PATTERNS)}printf '{"exitCode":null,"signal":null,"oomKilled":%s}\\n' "$oom" > exit.json`;

export const nanosDirectGuest: LabVmGuest = {
  platform: "nanos-direct",
  networkKnob: "nanosDirectNetwork",
  networks: NANOS_DIRECT_NETWORKS,
  artifactWhat: "the Nanos disk image folder",
  disk: diskOf,
  // Nanos boots from its disk: SeaBIOS runs boot.img, which loads the kernel from the boot file system.
  kernelArgs: () => [],
  requiredFiles: (ctx) =>
    [NANOS_DIRECT_FILES.disk, NANOS_DIRECT_FILES.prefix, NANOS_DIRECT_FILES.mkfs].map((f) => join(ctx.artifact, f)),
  prepareLines,
  recordExitLines: RECORD_EXIT,
  removeLines: shellCode(`rm -f ${INSTANCE_DISK} ${INSTANCE_MANIFEST}\n`),
  memoryHow: (memoryMB) =>
    `qemu -m ${memoryMB}M; the Nanos kernel keeps part of it (what the app saw in /info); the program is read from the disk`,
};

/** The scripts of one instance. */
export function nanosDirectScripts(ctx: InstanceContext, vmnet: VmnetSettings = DEFAULT_VMNET): InstanceScripts {
  return labVmScripts(nanosDirectGuest, ctx, vmnet);
}

/** QEMU's argv for one instance (see labVmQemuArgs). */
export function nanosDirectQemuArgs(ctx: InstanceContext): string[] {
  return labVmQemuArgs(nanosDirectGuest, ctx);
}

/** The verdict: a Nanos release of the revision's version here, then qemu and KVM as for the microVM. */
export function nanosDirectAvailability(
  release: NanosRelease | string,
  host: MicrovmHostFacts,
  allowEmulation: boolean,
): Availability {
  if (typeof release === "string") return { ok: false, reason: `nanos-direct: ${release}`, facts: {} };
  const found = labVmAvailability("nanos-direct", host, allowEmulation);
  return {
    ...found,
    facts: {
      ...found.facts,
      nanosRelease: release.dir,
      nanosReleaseFrom: release.source,
      nanosKernelSha256: release.kernelSha256,
    },
  };
}

/** A Pulumi host must hold a release folder with a mkfs (the runner checks its version). */
const NANOS_DIRECT_PREFLIGHT = `found=; for dir in "\${EDGELAB_NANOS_RELEASE:-}" "\${OPS_HOME:-\${HOME:-/root}/.ops}"/[0-9]*; do if [ -s "$dir/kernel.img" ] && [ -s "$dir/boot.img" ] && [ -x "$dir/mkfs" ]; then found=$dir; fi; done; [ -n "$found" ] || { echo "nanos-direct: no Nanos release folder with kernel.img, boot.img and mkfs (the release tarball has no mkfs: build it with make mkfs from the Nanos source of the same tag and put it beside kernel.img, or set EDGELAB_NANOS_RELEASE)" >&2; exit 1; }`;

export const nanosDirectPlatform: Platform = {
  name: "nanos-direct",
  description:
    "the Nanos unikernel on the lab's own QEMU VMM (the microVM's command line), its image made by the release's mkfs without ops",
  class: { kernel: "own", isolation: "vm" },
  knobs: nanosDirectKnobs,
  sharedKnobs: ["cpuMode"],
  artifact: nanosDirectRecipe,
  ports: "free",
  startCostS: 1.5,
  // The start script checks the VM after launching it; waiting for that would add it to TTR.
  probeDuringStart: true,
  async checkAvailability({ allowEmulation, versions }): Promise<Availability> {
    // The revision names the Nanos version; the release folder must hold it.
    const version = versions?.nanos;
    if (version === undefined) {
      return {
        ok: false,
        reason: "nanos-direct: no Nanos version given (the runner passes the revision's)",
        facts: {},
      };
    }
    const release = findNanosRelease(version);
    if (typeof release === "string") {
      return nanosDirectAvailability(release, { qemuVersionOutput: null, kvm: null }, allowEmulation);
    }
    return nanosDirectAvailability(release, await gatherLabVmHostFacts(), allowEmulation);
  },
  scripts: (ctx) => nanosDirectScripts(ctx),
  cleanupLeftovers: cleanupLabVmLeftovers,
  host: {
    // The kernel, boot image and klibs from the locked release tarball, unpacked where ops keeps
    // it ($OPS_HOME/<version>) by the ops step (the nanos platform's, idempotent: it runs once per
    // plugin that asks); ops' common files beside. The release carries no mkfs: it is built from
    // the locked source of the same tag and put beside kernel.img (lab/platforms/nanos/mkfs.sh).
    downloads: { ...nanosHostInstall.downloads, nanosSource: "nanos" },
    installScript: [
      `${LAB_VM_HOST_INSTALL} ${NANOS_MKFS_BUILD_PACKAGES.join(" ")}`,
      nanosHostInstall.installScript,
      NANOS_MKFS_SH,
    ].join("\n"),
    preflightScript: `${LAB_VM_HOST_PREFLIGHT} && ${NANOS_DIRECT_PREFLIGHT}`,
  },
};
