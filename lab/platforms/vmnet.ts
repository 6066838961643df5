/**
 * Bridged networking for the lab's VMs: one bridge with a private /24 on the host and one tap per
 * instance, made and removed by the shell scripts in ./vmnet (run by the instance scripts, so the
 * Pulumi hosts run the same text). Every interface is named with VMNET_PREFIX, so what an
 * interrupted run leaves behind is recognisably the lab's and nothing else is ever touched.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { run } from "../../core/exec";
import { type Shell, sh } from "../../core/shell";

/** Every bridge and tap of the lab starts with this (Linux interface names hold at most 15 characters). */
export const VMNET_PREFIX = "edgelabvm";
export const VMNET_BRIDGE = `${VMNET_PREFIX}0`;
/** The bridge's /24: the host is .1, guests lease .2 to .254. Private, and outside Docker's 172.17-31 pools. */
export const VMNET_SUBNET = "10.231.0";
export const VMNET_PREFIX_LENGTH = 24;
/** Address leases and the lock serialising the scripts; /run is emptied at boot, as interfaces are. */
export const VMNET_STATE_DIR = "/run/edgelab-vmnet";
export const VMNET_SCRIPTS = join(__dirname, "vmnet");

export interface VmnetSettings {
  bridge: string;
  subnet: string;
  stateDir: string;
}

export const DEFAULT_VMNET: VmnetSettings = { bridge: VMNET_BRIDGE, subnet: VMNET_SUBNET, stateDir: VMNET_STATE_DIR };

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The tap of one instance: the prefix, a dash and 5 hex digits of the instance name (15 characters). */
export function vmTapName(instanceName: string): string {
  return `${VMNET_PREFIX}-${digest(instanceName).slice(0, 15 - VMNET_PREFIX.length - 1)}`;
}

/** A locally administered MAC in QEMU's 52:54:00 range, fixed per instance. */
export function vmMacAddress(instanceName: string): string {
  const hex = digest(`mac:${instanceName}`).slice(0, 6);
  return `52:54:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

export function vmnetGateway(settings: VmnetSettings = DEFAULT_VMNET): string {
  return `${settings.subnet}.1`;
}

/** `VAR=value ...` assignments that feed a vmnet script its settings. */
function envWords(settings: VmnetSettings, tap: string): Shell {
  return sh`VMNET_BRIDGE=${settings.bridge} VMNET_TAP=${tap} VMNET_SUBNET=${settings.subnet} VMNET_STATE_DIR=${settings.stateDir}`;
}

/** Shell: create bridge and tap, and write the guest's leased address to `addressFile`. */
export function tapUpLine(settings: VmnetSettings, tap: string, addressFile: string): Shell {
  return sh`${envWords(settings, tap)} bash ${join(VMNET_SCRIPTS, "tap-up.sh")} > ${addressFile}
`;
}

/** Shell: remove the tap (and the bridge once empty); never fails. */
export function tapDownLine(settings: VmnetSettings, tap: string): Shell {
  return sh`${envWords(settings, tap)} bash ${join(VMNET_SCRIPTS, "tap-down.sh")} || true
`;
}

/** Remove every lab bridge and tap on this host (any run's); returns the interfaces removed. */
export async function sweepLabNetwork(stateDir = VMNET_STATE_DIR): Promise<string[]> {
  const { stdout } = await run("bash", [join(VMNET_SCRIPTS, "sweep.sh")], {
    env: { ...process.env, VMNET_PREFIX, VMNET_STATE_DIR: stateDir },
    timeoutMs: 60_000,
  });
  return stdout.split("\n").filter((line) => line.trim() !== "");
}

/** Lab interfaces present now ("ip -o link" names starting with the prefix). */
export async function labInterfaces(): Promise<string[]> {
  const { stdout } = await run("ip", ["-o", "link", "show"], { timeoutMs: 20_000 });
  return parseIpLinkNames(stdout).filter((name) => name.startsWith(VMNET_PREFIX));
}

/** Interface names from `ip -o link show` ("3: edgelabvm-1a2b3@NONE: <...>" -> "edgelabvm-1a2b3"). */
export function parseIpLinkNames(output: string): string[] {
  const names: string[] = [];
  for (const line of output.split("\n")) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name) names.push(name);
  }
  return names;
}
