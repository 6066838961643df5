/**
 * The last two steps on every host: the preflight (the pinned versions, KVM where Nanos runs, the
 * clock, enough cores, the lab's code, and from the SUT the ssh path to k6 on the load generator)
 * and the host facts, one line of JSON the stack publishes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Shell, sh, shellCode, shellEnv, shellLines } from "../../core/shell";
import { LAB_KEY_PATH, STATE_DIR } from "../layout";
import { stepScript } from "./shell";
import type { BootstrapContext, PluginSetup, PreflightOptions } from "./types";

const PREFLIGHT_HELPERS = shellCode(
  readFileSync(join(__dirname, "preflight-helpers.sh"), "utf8")
    .split("\n")
    .filter((line) => !line.startsWith("# shellcheck shell=") && !line.startsWith("# Shell helpers"))
    .join("\n")
    .trim(),
);

/** A check skipped in tests and air-gapped runs (EDGELAB_SKIP_HEAVY), run otherwise. */
function unlessSkipHeavy(name: string, check: Shell): Shell {
  return sh`if [ "$skip_heavy" = 1 ]; then skip ${name} EDGELAB_SKIP_HEAVY; else
  ${check}
fi`;
}

/** Go and Node (and npm where the lab installed it) at the revision's versions. */
function toolchainChecks(ctx: BootstrapContext): Shell {
  const v = ctx.revision.versions;
  return shellLines([
    sh`expect go ${v.go} "$(first_version "$(go version 2>/dev/null || true)" 'go version go')"`,
    sh`expect node ${v.node} "$(first_version "$(node --version 2>/dev/null || true)" 'v')"`,
    ctx.downloads && ctx.code && sh`expect npm ${ctx.downloads.npm.version} "$(npm --version 2>/dev/null || true)"`,
  ]);
}

/** The Docker engine and its daemon at the revision's version. */
function dockerChecks(ctx: BootstrapContext): Shell {
  const version = ctx.revision.versions.docker;
  return shellLines([
    sh`expect docker ${version} "$(first_version "$(dockerd --version 2>/dev/null || true)" 'Docker version ')"`,
    unlessSkipHeavy(
      "docker-daemon",
      sh`expect docker-daemon ${version} "$(docker version --format '{{.Server.Version}}' 2>/dev/null || true)"`,
    ),
  ]);
}

/**
 * Each plugin's own check (its preflightScript), as one check of the preflight: in a subshell of
 * its own with its downloads' variables, where `fail` ends the check (not the step) and its last
 * line is the reason recorded.
 */
function pluginChecks(plugins: readonly PluginSetup[]): Shell {
  return shellLines(
    plugins
      .filter((p) => p.preflight)
      .map(
        (p) => sh`set +e
# Each plugin's downloads in its own subshell on purpose: two plugins may name the same download.
# shellcheck disable=SC2030,SC2031
plugin_out=$(
  exec 2>&1
  set -e
  # shellcheck disable=SC2317 # the plugin's check calls it
  fail() { printf '%s\\n' "$*"; exit 1; }
  ${shellEnv(p.env)}
  ${shellCode(p.preflight ?? "")}
)
plugin_status=$?
set -e
printf '%s\\n' "$plugin_out"
ensure ${p.plugin} "$(printf '%s\\n' "$plugin_out" | tail -n 1)" test "$plugin_status" = 0`,
      ),
  );
}

/** KVM: required where Nanos cells run without allowEmulation, otherwise only reported. */
function kvmChecks(required: boolean): Shell {
  if (!required) {
    return shellCode(
      `if kvm_usable; then echo "info: KVM usable"; else echo "info: KVM not usable (not required by this stack)"; fi`,
    );
  }
  return unlessSkipHeavy(
    "kvm",
    shellCode(
      `ensure kvm "/dev/kvm is missing or not accessible: Nanos cells need KVM; use a bare-metal SUT, or set edge-lab:allowEmulation true (results are then marked emulated)" kvm_usable`,
    ),
  );
}

/** Enough cores for the profile, and the lab's code with its dependencies in place. */
function sutLabChecks(lab: string, minCores: number): Shell {
  return sh`min_cores=${minCores}
ensure cores "the profile's largest scenario needs $min_cores CPUs, this host has $(nproc)" enough_cores "$min_cores"
ensure lab-code ${`the lab's code is not in ${lab}`} test -f ${`${lab}/lab/runner/cli.ts`}
ensure lab-dependencies ${`npm ci has not run in ${lab}`} test -x ${`${lab}/node_modules/.bin/tsx`}`;
}

/** What the SUT runs the cells with. */
function sutChecks(ctx: BootstrapContext, options: PreflightOptions): Shell | false {
  return (
    ctx.roles.sut &&
    shellLines([
      toolchainChecks(ctx),
      options.docker && dockerChecks(ctx),
      kvmChecks(options.requireKvm),
      sutLabChecks(ctx.labDir, options.minCores),
    ])
  );
}

/** The apt packages the revision pins to a version. */
function packageChecks(ctx: BootstrapContext): Shell {
  return shellLines(
    ctx.aptPackages.map((name) => {
      const version = ctx.downloads.apt.packages[name]?.version ?? null;
      return version !== null && sh`expect_package ${name} ${version}`;
    }),
  );
}

/** k6, GNU time and the k6 script on a load generator. */
function loadgenChecks(ctx: BootstrapContext): Shell | false {
  return (
    ctx.roles.loadgen &&
    sh`expect k6 ${ctx.revision.versions.k6} "$(first_version "$(k6 version 2>/dev/null || true)" 'k6 v')"
ensure gnu-time "/usr/bin/time (GNU time) is missing: the runner measures k6's CPU with it" /usr/bin/time --version
ensure k6-script ${`k6/load.js is not in ${ctx.labDir}`} test -f ${`${ctx.labDir}/k6/load.js`}`
  );
}

/** From the SUT: k6 and GNU time on the load generator, over ssh with the lab key. */
function loadgenLinkChecks(ctx: BootstrapContext, loadgen: PreflightOptions["loadgen"]): Shell | false {
  if (!loadgen) return false;
  const target = `${loadgen.user}@${loadgen.address}`;
  return sh`link_out=$(ssh -n -o BatchMode=yes -o ConnectTimeout=15 -i ${LAB_KEY_PATH} ${target} 'k6 version; /usr/bin/time --version >/dev/null && echo gnu-time-ok' 2>&1 || true)
expect ${`k6 on ${target}`} ${ctx.revision.versions.k6} "$(first_version "$link_out" 'k6 v')"
ensure ${`gnu time on ${target}`} "the SUT cannot run /usr/bin/time on the load generator over ssh: $(printf '%s' "$link_out" | tail -n 1)" grep -q gnu-time-ok <<<"$link_out"`;
}

/** Strict: any failed check fails the step. Record mode: the differences are the step's value. */
function preflightFinish(ctx: BootstrapContext, strict: boolean): Shell {
  if (strict) {
    return shellCode(`if [ "\${#failures[@]}" -gt 0 ]; then
  fail "\${#failures[@]} of $checked checks failed: $(IFS=';'; printf '%s' "\${failures[*]}" | sed 's/;/; /g')"
fi
value="preflight: ok ($checked checks, $skipped skipped)"`);
  }
  return sh`revision=${ctx.revision.id}
if [ "\${#failures[@]}" -gt 0 ]; then
  value="preflight: \${#failures[@]} differences from revision $revision recorded (not enforced here): $(IFS=';'; printf '%s' "\${failures[*]}")"
else
  value="preflight: as pinned ($checked checks, $skipped skipped)"
fi`;
}

/** The preflight of one host. It fails (strict) or lists the differences (record mode) in one line. */
export function preflightStep(ctx: BootstrapContext, options: PreflightOptions): string {
  const body = sh`${PREFLIGHT_HELPERS}
cd /
${shellLines([
  sutChecks(ctx, options),
  pluginChecks(options.plugins ?? []),
  packageChecks(ctx),
  loadgenChecks(ctx),
  loadgenLinkChecks(ctx, options.loadgen),
  unlessSkipHeavy(
    "clock",
    shellCode(`ensure clock "the clock is not NTP-synchronised (timedatectl/chronyc)" clock_synchronised`),
  ),
])}
${preflightFinish(ctx, options.strict)}`;
  return stepScript({
    id: "preflight",
    host: ctx.hostLabel,
    title: options.strict ? "check every pinned version" : "record how this host differs from the revision",
    body,
    output: "value",
  });
}

/** The host's facts as one JSON object: jq writes it (every value passed as data, never spliced into text). */
const HOST_FACTS_JQ = `def opt: if . == "" then null else . end;
{role: $role, hostname: $hostname, os: $os, kernel: $kernel, cpuModel: $cpu, cores: $cores,
 memoryBytes: $memory, cgroupVersion: ($cgroup | if . == "" then null else tonumber end),
 kvm: {usable: $kvm_usable, reason: ($kvm_reason | opt)}, clockSynchronised: $clock,
 codeSha256: ($code | opt),
 versions: {go: ($go | opt), node: ($node | opt), docker: ($docker | opt), ops: ($ops | opt),
            nanos: ($nanos | opt), qemu: ($qemu | opt), k6: ($k6 | opt)},
 packages: $packages}`;

/**
 * One line of JSON about the host, the stack publishes it: the manifest's host facts (the same
 * fields the runner records) and what the bootstrap knows besides (infra/hostFacts.ts parses it).
 * The shell gathers plain values; jq (a base package of every host) makes the JSON.
 */
export function hostFactsStep(ctx: BootstrapContext): string {
  const role = ctx.roles.sut && ctx.roles.loadgen ? "local" : ctx.roles.sut ? "sut" : "loadgen";
  const body = sh`
command -v jq >/dev/null || fail "jq is missing: it writes the host facts (apt-get install jq; the base step installs it)"
# The first line a command prints, or nothing.
first_line() { "$@" 2>/dev/null | head -n 1 || true; }
os=$(sed -n 's/^PRETTY_NAME="\\{0,1\\}\\([^"]*\\)"\\{0,1\\}$/\\1/p' /etc/os-release 2>/dev/null || true)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
memory_kb=$(sed -n 's/^MemTotal:[[:space:]]*\\([0-9]*\\) kB/\\1/p' /proc/meminfo)
# The same kvm and cgroup facts the runner records in every manifest (lab/hostFacts.ts).
kvm_usable=false
kvm_reason="no /dev/kvm"
if [ -e /dev/kvm ]; then kvm_reason="/dev/kvm is not readable and writable"; fi
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then kvm_usable=true; kvm_reason=""; fi
cgroup=""
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cgroup=2; elif [ -d /sys/fs/cgroup/memory ]; then cgroup=1; fi
clock=unknown
if has_systemd && command -v timedatectl >/dev/null; then clock=$(timedatectl show -p NTPSynchronized --value 2>/dev/null || echo unknown); fi
nanos=""
if [ -f "$HOME/.ops/latest.txt" ]; then nanos=$(cat "$HOME/.ops/latest.txt"); fi
code=$(cat ${`${STATE_DIR}/code.sha256`} 2>/dev/null || true)
packages_json='{}'
package_names=(${ctx.aptPackages})
for name in "\${package_names[@]}"; do
  # shellcheck disable=SC2016
  version=$(dpkg-query -W -f='\${Status} \${Version}\\n' "$name" 2>/dev/null | sed -n 's/^[a-z]* ok installed //p')
  packages_json=$(jq -c --arg name "$name" --arg version "$version" '. + {($name): (if $version == "" then null else $version end)}' <<<"$packages_json")
done
value=$(jq -cn \\
  --arg role ${role} --arg hostname "$(hostname)" --arg os "$os" --arg kernel "$(uname -r)" --arg cpu "$cpu" \\
  --argjson cores "$(nproc)" --argjson memory "$((\${memory_kb:-0} * 1024))" --arg cgroup "$cgroup" \\
  --argjson kvm_usable "$kvm_usable" --arg kvm_reason "$kvm_reason" --arg clock "$clock" --arg code "$code" \\
  --arg go "$(first_line go version)" --arg node "$(first_line node --version)" \\
  --arg docker "$(first_line dockerd --version)" --arg ops "$(first_line ops version)" --arg nanos "$nanos" \\
  --arg qemu "$(first_line qemu-system-x86_64 --version)" --arg k6 "$(first_line k6 version)" \\
  --argjson packages "$packages_json" \\
  ${HOST_FACTS_JQ})`;
  return stepScript({
    id: "host-facts",
    host: ctx.hostLabel,
    title: "host facts (one line of JSON)",
    body,
    output: "value",
  });
}
