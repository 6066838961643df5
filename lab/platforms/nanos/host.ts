/**
 * What the Nanos platform installs (lab/install.ts): ops, the Nanos kernel and ops' common files at
 * the revision's locked versions, by the same code on a Pulumi host (`installScript`) and on a
 * researcher's own KVM machine (`localScript`, run by scripts/install-system.sh); the check that
 * they are the pinned ones; and what `pulumi destroy` removes from a host the user lent the lab.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { HostInstall } from "../../install";

/** A shell body beside this file, without its shellcheck directives (they are for the file alone). */
function shellBody(file: string): string {
  return readFileSync(join(__dirname, file), "utf8")
    .split("\n")
    .filter((line) => !line.startsWith("# shellcheck"))
    .join("\n")
    .trim();
}

const OPS_SH = shellBody("ops.sh");

/**
 * The release's mkfs built from the locked source of the same tag (the release tarball has none):
 * nanos-direct's install runs it after ops.sh. The packages `make mkfs` needs come first.
 */
export const NANOS_MKFS_BUILD_PACKAGES = ["gcc", "make", "libc6-dev"] as const;
export const NANOS_MKFS_SH = shellBody("mkfs.sh");

/** ops and the kernel it runs are the pinned ones (ops' folder is root's on a Pulumi host). */
const CHECK = `ops_home="\${HOME:-/root}/.ops"
have=$(first_version "$(ops version 2>/dev/null || true)" 'Ops version: *')
[ "$have" = "$OPS_VERSION" ] || fail "ops is \${have:-not installed}, the revision wants $OPS_VERSION"
have=$(cat "$ops_home/latest.txt" 2>/dev/null || true)
[ "$have" = "$NANOS_KERNEL_VERSION" ] || fail "ops' kernel (latest.txt) is \${have:-not set}, the revision wants $NANOS_KERNEL_VERSION"
[ -s "$ops_home/$NANOS_KERNEL_VERSION/kernel.img" ] || fail "no kernel.img in $ops_home/$NANOS_KERNEL_VERSION"
echo "ops $OPS_VERSION, Nanos kernel $NANOS_KERNEL_VERSION"`;

/** The lab's images and instances, and only the kernels the lab unpacked (each carries its marker). */
const REMOVE = `ops_home="\${HOME:-/root}/.ops"
rm -rf "$ops_home"/images/edgelab-* "$ops_home/instances"
for kernel in "$ops_home"/*/.edgelab-sha256; do [ -f "$kernel" ] && rm -rf "$(dirname "$kernel")"; done`;

export const nanosHostInstall: HostInstall = {
  downloads: { ops: "ops", nanosKernel: "nanos", nanosCommon: null },
  installScript: OPS_SH,
  preflightScript: CHECK,
  removeScript: REMOVE,
  localScript: "lab/platforms/nanos/install-ops.sh",
};
