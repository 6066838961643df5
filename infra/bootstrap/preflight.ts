/**
 * The last two steps on every host: the preflight (the pinned versions, KVM where Nanos runs, the
 * clock, enough cores, the lab's code, and from the SUT the ssh path to k6 on the load generator)
 * and the host facts, one line of JSON the stack publishes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LAB_KEY_PATH, STATE_DIR } from "../layout";
import { q, stepScript } from "./shell";
import type { BootstrapContext, PreflightOptions } from "./types";

const PREFLIGHT_HELPERS = readFileSync(join(__dirname, "preflight-helpers.sh"), "utf8")
  .split("\n")
  .filter((line) => !line.startsWith("# shellcheck shell=") && !line.startsWith("# Shell helpers"))
  .join("\n")
  .trim();

/** The preflight of one host. It fails (strict) or lists the differences (record mode) in one line. */
export function preflightStep(ctx: BootstrapContext, options: PreflightOptions): string {
  const v = ctx.revision.versions;
  const lines: string[] = [];
  const lab = ctx.labDir;
  if (ctx.roles.sut) {
    lines.push(
      `expect go ${q(v.go)} "$(first_version "$(go version 2>/dev/null || true)" 'go version go')"`,
      `expect node ${q(v.node)} "$(first_version "$(node --version 2>/dev/null || true)" 'v')"`,
    );
    if (ctx.downloads && ctx.code) {
      lines.push(`expect npm ${q(ctx.downloads.npm.version)} "$(npm --version 2>/dev/null || true)"`);
    }
    if (options.docker) {
      lines.push(
        `expect docker ${q(v.docker)} "$(first_version "$(dockerd --version 2>/dev/null || true)" 'Docker version ')"`,
        `if [ "$skip_heavy" = 1 ]; then skip docker-daemon EDGELAB_SKIP_HEAVY; else`,
        `  expect docker-daemon ${q(v.docker)} "$(docker version --format '{{.Server.Version}}' 2>/dev/null || true)"`,
        `fi`,
      );
    }
    if (options.ops) {
      lines.push(
        `expect ops ${q(v.ops)} "$(first_version "$(ops version 2>/dev/null || true)" 'Ops version: *')"`,
        `expect nanos-kernel ${q(v.nanos)} "$(cat "\${HOME:-/root}/.ops/latest.txt" 2>/dev/null || true)"`,
        `ensure nanos-kernel-image "no kernel.img in ~/.ops/${v.nanos}" test -s "\${HOME:-/root}/.ops/"${q(v.nanos)}/kernel.img`,
        `if [ "$skip_heavy" = 1 ]; then skip qemu EDGELAB_SKIP_HEAVY; else`,
        `  expect qemu ${q(v.qemu)} "$(first_version "$(qemu-system-x86_64 --version 2>/dev/null || true)" 'QEMU emulator version ')"`,
        `fi`,
      );
    }
    if (options.requireKvm) {
      lines.push(
        `if [ "$skip_heavy" = 1 ]; then skip kvm EDGELAB_SKIP_HEAVY; else`,
        `  ensure kvm "/dev/kvm is missing or not accessible: Nanos cells need KVM; use a bare-metal SUT, or set edge-lab:allowEmulation true (results are then marked emulated)" kvm_usable`,
        `fi`,
      );
    } else {
      lines.push(
        `if kvm_usable; then echo "info: KVM usable"; else echo "info: KVM not usable (not required by this stack)"; fi`,
      );
    }
    lines.push(
      `ensure cores "the profile's largest scenario needs ${options.minCores} CPUs, this host has $(nproc)" enough_cores ${options.minCores}`,
      `ensure lab-code "the lab's code is not in ${lab}" test -f ${q(`${lab}/lab/runner/cli.ts`)}`,
      `ensure lab-dependencies "npm ci has not run in ${lab}" test -x ${q(`${lab}/node_modules/.bin/tsx`)}`,
    );
  }
  for (const name of ctx.aptPackages) {
    const version = ctx.downloads.apt.packages[name]?.version ?? null;
    if (version === null) continue;
    lines.push(`expect_package ${q(name)} ${q(version)}`);
  }
  if (ctx.roles.loadgen) {
    lines.push(
      `expect k6 ${q(v.k6)} "$(first_version "$(k6 version 2>/dev/null || true)" 'k6 v')"`,
      `ensure gnu-time "/usr/bin/time (GNU time) is missing: the runner measures k6's CPU with it" /usr/bin/time --version`,
      `ensure k6-script "k6/load.js is not in ${lab}" test -f ${q(`${lab}/k6/load.js`)}`,
    );
  }
  if (options.loadgen) {
    const target = `${options.loadgen.user}@${options.loadgen.address}`;
    lines.push(
      `link_out=$(ssh -n -o BatchMode=yes -o ConnectTimeout=15 -i ${q(LAB_KEY_PATH)} ${q(target)} 'k6 version; /usr/bin/time --version >/dev/null && echo gnu-time-ok' 2>&1 || true)`,
      `expect "k6 on ${target}" ${q(v.k6)} "$(first_version "$link_out" 'k6 v')"`,
      `ensure "gnu time on ${target}" "the SUT cannot run /usr/bin/time on the load generator over ssh: $(printf '%s' "$link_out" | tail -n 1)" grep -q gnu-time-ok <<<"$link_out"`,
    );
  }
  lines.push(`if [ "$skip_heavy" = 1 ]; then skip clock EDGELAB_SKIP_HEAVY; else`);
  lines.push(`  ensure clock "the clock is not NTP-synchronised (timedatectl/chronyc)" clock_synchronised`);
  lines.push(`fi`);
  const finish = options.strict
    ? `if [ "\${#failures[@]}" -gt 0 ]; then
  fail "\${#failures[@]} of $checked checks failed: $(IFS=';'; printf '%s' "\${failures[*]}" | sed 's/;/; /g')"
fi
value="preflight: ok ($checked checks, $skipped skipped)"`
    : `if [ "\${#failures[@]}" -gt 0 ]; then
  value="preflight: \${#failures[@]} differences from revision ${ctx.revision.id} recorded (not enforced here): $(IFS=';'; printf '%s' "\${failures[*]}")"
else
  value="preflight: as pinned ($checked checks, $skipped skipped)"
fi`;
  const body = `${PREFLIGHT_HELPERS}\ncd /\n${lines.join("\n")}\n${finish}`;
  return stepScript({
    id: "preflight",
    host: ctx.hostLabel,
    title: options.strict ? "check every pinned version" : "record how this host differs from the revision",
    body,
    output: "value",
  });
}

/** One line of JSON about the host: the stack publishes it beside the run's own host facts. */
export function hostFactsStep(ctx: BootstrapContext): string {
  const role = ctx.roles.sut && ctx.roles.loadgen ? "local" : ctx.roles.sut ? "sut" : "loadgen";
  const body = `
json() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g' | tr '\\t\\r\\n' '   ')"; }
maybe() {
  local out
  out=$("$@" 2>/dev/null | head -n 1 || true)
  if [ -n "$out" ]; then json "$out"; else printf null; fi
}
os=$(sed -n 's/^PRETTY_NAME="\\{0,1\\}\\([^"]*\\)"\\{0,1\\}$/\\1/p' /etc/os-release 2>/dev/null || true)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
memory_kb=$(sed -n 's/^MemTotal:[[:space:]]*\\([0-9]*\\) kB/\\1/p' /proc/meminfo)
kvm_device=false
if [ -e /dev/kvm ]; then kvm_device=true; fi
kvm_access=false
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then kvm_access=true; fi
clock=unknown
if has_systemd && command -v timedatectl >/dev/null; then clock=$(timedatectl show -p NTPSynchronized --value 2>/dev/null || echo unknown); fi
nanos=null
if [ -f "$HOME/.ops/latest.txt" ]; then nanos=$(json "$(cat "$HOME/.ops/latest.txt")"); fi
code=null
if [ -f ${q(`${STATE_DIR}/code.sha256`)} ]; then code=$(json "$(cat ${q(`${STATE_DIR}/code.sha256`)})"); fi
packages_json="{"
sep=""
package_names=(${ctx.aptPackages.map(q).join(" ")})
for name in "\${package_names[@]}"; do
  # shellcheck disable=SC2016
  version=$(dpkg-query -W -f='\${Status} \${Version}\\n' "$name" 2>/dev/null | sed -n 's/^[a-z]* ok installed //p')
  if [ -n "$version" ]; then entry=$(json "$version"); else entry=null; fi
  packages_json+=$(printf '%s"%s":%s' "$sep" "$name" "$entry")
  sep=","
done
packages_json+="}"
# shellcheck disable=SC2016
value=$(printf '{"role":"%s","hostname":%s,"os":%s,"kernel":%s,"cpuModel":%s,"cores":%s,"memoryBytes":%s,"kvm":{"device":%s,"access":%s},"clockSynchronised":%s,"codeSha256":%s,"versions":{"go":%s,"node":%s,"docker":%s,"ops":%s,"nanos":%s,"qemu":%s,"k6":%s},"packages":%s}' \\
  ${role} "$(json "$(hostname)")" "$(json "$os")" "$(json "$(uname -r)")" "$(json "$cpu")" "$(nproc)" "$((\${memory_kb:-0} * 1024))" \\
  "$kvm_device" "$kvm_access" "$(json "$clock")" "$code" \\
  "$(maybe go version)" "$(maybe node --version)" "$(maybe dockerd --version)" "$(maybe ops version)" "$nanos" \\
  "$(maybe qemu-system-x86_64 --version)" "$(maybe k6 version)" "$packages_json")`;
  return stepScript({
    id: "host-facts",
    host: ctx.hostLabel,
    title: "host facts (one line of JSON)",
    body,
    output: "value",
  });
}
