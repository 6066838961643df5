import { APP_PORT } from "../../core/model";
import { type Shell, sh, shellCode, shellComment, shellHeredoc, shellLines } from "../../core/shell";
import { ENGINE_BUNDLE_DIR, LAB_KEY_COMMENT, LAB_KEY_PATH, STATE_DIR, TOOLS_DIR } from "../layout";
import { hostKeyLine } from "../sshKeys";
import { integrityHex, stepScript } from "./shell";
import type { BootstrapContext } from "./types";

/** The SUT's ephemeral port range, pinned so the firewall's app-port rule matches what the engine's freePort() picks. */
export const SUT_EPHEMERAL_PORTS = { from: 32768, to: 60999 } as const;
/** Ports the instances are reached on from the load generator: 8080 (ops' user-mode forward) and the ephemeral range. */
export const APP_PORT_RANGES = [String(APP_PORT), `${SUT_EPHEMERAL_PORTS.from}-${SUT_EPHEMERAL_PORTS.to}`] as const;

/** Load generator tuning: many outgoing connections from one k6 process. */
export const LOADGEN_SYSCTL: Readonly<Record<string, string>> = {
  "net.ipv4.ip_local_port_range": "1024 65000",
  "net.ipv4.tcp_tw_reuse": "1",
  "net.core.somaxconn": "65535",
};
export const LOADGEN_NOFILE = 1048576;

/** jq writes the host facts' JSON (infra/bootstrap/preflight.ts). */
const BASE_PACKAGES = [
  "ca-certificates",
  "curl",
  "tar",
  "gzip",
  "xz-utils",
  "procps",
  "iproute2",
  "openssh-client",
  "jq",
];
const SUT_PACKAGES = ["rsync", "util-linux", "iptables", "time"];
/** GNU time (/usr/bin/time) measures k6's CPU for the generator-bound check; sshd serves the SUT's runner (not on local). */
const LOADGEN_PACKAGES = ["time", "openssh-server"];

export const SSHD_HARDENING = `# edgelab: keys only, no passwords (written by the lab's bootstrap)
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
`;

/** The packages of each role, once each. */
function basePackages(ctx: BootstrapContext): string[] {
  return [
    ...BASE_PACKAGES,
    ...(ctx.roles.sut ? SUT_PACKAGES : []),
    ...(ctx.roles.loadgen ? LOADGEN_PACKAGES.filter((p) => p !== "openssh-server" || !ctx.roles.sut) : []),
  ].filter((p, i, all) => all.indexOf(p) === i);
}

/** The kernel settings of each role. Local: this machine is both hosts; the SUT's pinned range would fight the generator's wider one. */
function baseSysctl(ctx: BootstrapContext): Record<string, string> {
  return {
    ...(ctx.roles.sut && !ctx.roles.loadgen
      ? { "net.ipv4.ip_local_port_range": `${SUT_EPHEMERAL_PORTS.from} ${SUT_EPHEMERAL_PORTS.to}` }
      : {}),
    ...(ctx.roles.loadgen ? LOADGEN_SYSCTL : {}),
  };
}

/** sshd without passwords on a host the lab owns; the operator's own machine keeps its sshd. */
function sshdHardeningLines(ctx: BootstrapContext): Shell {
  if (!ctx.hardenSsh) return shellCode("# this machine's sshd is the operator's: left as it is");
  return sh`if put_file /etc/ssh/sshd_config.d/10-edgelab.conf 0644 ${shellHeredoc(SSHD_HARDENING)}
then
  changed "sshd: no password login"
  if has_systemd; then systemctl reload ssh 2>/dev/null || systemctl reload sshd 2>/dev/null || true; fi
fi`;
}

/** The sysctl file of the role, and each setting applied now where the running kernel differs. */
function sysctlLines(ctx: BootstrapContext): Shell {
  const sysctl = baseSysctl(ctx);
  const file = ctx.roles.loadgen ? "/etc/sysctl.d/60-edgelab-loadgen.conf" : "/etc/sysctl.d/60-edgelab-sut.conf";
  const content = [
    `# edgelab ${ctx.roles.loadgen ? "load generator" : "system under test"} tuning`,
    ...Object.entries(sysctl).map(([key, value]) => `${key} = ${value}`),
  ].join("\n");
  return sh`if put_file ${file} 0644 ${shellHeredoc(content)}
then
  changed "sysctl file"
fi
apply_sysctl() {
  local have
  have=$(sysctl -n "$1" 2>/dev/null | tr -s '[:space:]' ' ' | sed 's/ $//')
  if [ "$have" != "$2" ]; then
    sysctl -w "$1=$2" >/dev/null || fail "cannot set $1 to $2 (read-only /proc/sys?)"
    changed "sysctl $1"
  fi
}
${shellLines(Object.entries(sysctl).map(([key, value]) => sh`apply_sysctl ${key} ${value}`))}`;
}

/** The load generator's open-files limit (many connections from one k6 process). */
function openFilesLines(ctx: BootstrapContext): Shell | false {
  if (!ctx.roles.loadgen) return false;
  const limits = ["*", "root"]
    .flatMap((who) => ["soft", "hard"].map((kind) => `${who} ${kind} nofile ${LOADGEN_NOFILE}`))
    .join("\n");
  return sh`if put_file /etc/security/limits.d/60-edgelab.conf 0644 ${shellHeredoc(limits)}
then
  changed "open files limit"
fi`;
}

/** Packages, sshd without passwords, and the kernel settings of each role. */
export function baseStep(ctx: BootstrapContext): string {
  const body = sh`
# On a fresh cloud server, let cloud-init finish (it writes sshd settings and may run apt).
if command -v cloud-init >/dev/null; then cloud-init status --wait >/dev/null 2>&1 || true; fi
packages ${basePackages(ctx)}
${sshdHardeningLines(ctx)}
${sysctlLines(ctx)}
${shellLines([openFilesLines(ctx)])}`;
  return stepScript({ id: "base", host: ctx.hostLabel, title: "packages, sshd and kernel settings", body });
}

/** `name=version` for apt, or a case pattern for a version ending in `*`. */
function isGlob(version: string): boolean {
  return version.endsWith("*");
}

type AptDownloads = BootstrapContext["downloads"]["apt"];

/** One repository: its key, fetched and held to the fingerprint the revision names, and its sources file. */
function repositoryLines(apt: AptDownloads, name: string): Shell {
  const r = apt.repositories[name] as AptDownloads["repositories"][string];
  const key = `/etc/apt/keyrings/edgelab-${name}.asc`;
  const part = `${key}.part`;
  const sources = `Types: deb\nURIs: ${r.url}\nSuites: ${r.suite}\nComponents: ${r.components.join(" ")}\nSigned-By: ${key}\n`;
  return sh`if [ ! -s ${key} ] || [ "$(key_fingerprint ${key})" != ${r.key.fingerprint} ]; then
  mkdir -p /etc/apt/keyrings
  curl --fail --silent --show-error --location --retry 3 --output ${part} ${r.key.url} ||
    fail ${`${name}: downloading the repository key ${r.key.url} failed`}
  got=$(key_fingerprint ${part})
  if [ "$got" != ${r.key.fingerprint} ]; then
    rm -f ${part}
    fail ${`${name}: the key at ${r.key.url} has fingerprint`} "\${got:-none}," ${`the revision names ${r.key.fingerprint}: refusing it`}
  fi
  mv ${part} ${key}
  chmod 0644 ${key}
  changed ${`key ${name} ${r.key.fingerprint}`}
  index_stale=1
fi
if printf '%s' ${sources} | put_file ${`/etc/apt/sources.list.d/edgelab-${name}.sources`} 0644; then
  changed ${`apt source ${name}`}
  index_stale=1
fi`;
}

/** The version prefix of a glob version ("5:28.3.*" -> "5:28.3."), matched as a literal before the `*`. */
function globPrefix(version: string): string {
  return version.slice(0, -1);
}

/** Adds a package that is not installed at the wanted version to `wanted` (or `globbed`, settled later). */
function wantLine(name: string, version: string | null): Shell {
  if (version === null) return sh`[ -n "$(installed_version ${name})" ] || wanted+=(${name})`;
  if (isGlob(version))
    return sh`case "$(installed_version ${name})" in ${globPrefix(version)}*) ;; *) globbed+=(${name}) ;; esac`;
  return sh`[ "$(installed_version ${name})" = ${version} ] || wanted+=(${`${name}=${version}`})`;
}

/** Fails unless the package is installed at a version the revision allows; prints what it found. */
function checkLine(name: string, version: string | null): Shell {
  const read = sh`have=$(installed_version ${name})`;
  if (version === null) {
    return sh`${read}; [ -n "$have" ] || fail ${`${name} is not installed after the install`}; echo ${`recorded: ${name}`} "$have"`;
  }
  const wants = `after the install, the revision wants ${version}`;
  if (isGlob(version)) {
    return sh`${read}; case "$have" in ${globPrefix(version)}*) echo ${`recorded: ${name}`} "$have" ;; *) fail ${`${name} is`} "$have" ${wants} ;; esac`;
  }
  return sh`${read}; [ "$have" = ${version} ] || fail ${`${name} is`} "\${have:-not installed}" ${wants}`;
}

/** On a host lent to the lab, never replace another Docker behind the user's back. */
function otherDockerLines(version: string): Shell {
  return sh`for other in docker.io podman-docker; do
  if [ -n "$(installed_version "$other")" ]; then
    fail "another Docker is installed ($other $(installed_version "$other")):" ${`the lab installs docker-ce ${version}; remove it first`} "(apt-get remove $other)"
  fi
done`;
}

/** Versioned packages are held, so an unattended upgrade cannot move them. */
function holdLines(held: readonly string[]): Shell | false {
  return (
    held.length > 0 &&
    sh`held=(${held})
# Read once: grep -q closing the pipe early would fail the pipeline under pipefail.
on_hold=$(apt-mark showhold)
for name in "\${held[@]}"; do
  if ! grep -qx "$name" <<<"$on_hold"; then apt-mark hold "$name" >/dev/null; changed "hold $name"; fi
done`
  );
}

/** The Docker daemon running at the revision's version (started without systemd where there is none). */
function dockerDaemonLines(version: string): Shell {
  return sh`if [ "$skip_heavy" = 1 ]; then
  echo "EDGELAB_SKIP_HEAVY: the Docker daemon is not started"
else
  if has_systemd; then
    if ! systemctl is-active --quiet docker.service; then systemctl enable --now docker.service; changed "docker started"; fi
  elif ! docker info >/dev/null 2>&1; then
    nohup dockerd >/var/log/edgelab/dockerd.log 2>&1 &
    changed "dockerd started without systemd"
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  server=$(docker version --format '{{.Server.Version}}' 2>/dev/null || true)
  [ "$server" = ${version} ] || fail "the Docker daemon reports version '$server', expected" ${version}
fi`;
}

/**
 * Docker, QEMU, runsc and wrk from signed apt repositories at the revision's versions: each
 * repository's key is fetched and must have the fingerprint the revision names before apt trusts
 * it; apt checks every package against the signed index. Versioned packages are held, so an
 * unattended upgrade cannot move them; the exact versions installed are printed and recorded.
 */
export function aptStep(ctx: BootstrapContext): string {
  const apt = ctx.downloads.apt;
  const names = ctx.aptPackages;
  const missing = names.filter((n) => !apt.packages[n]);
  if (missing.length > 0) throw new Error(`the revision's downloads.apt has no package ${missing.join(", ")}`);
  const repos = [...new Set(names.map((n) => apt.packages[n]?.from).filter((r): r is string => !!r))];
  for (const repo of repos) {
    if (!apt.repositories[repo])
      throw new Error(`downloads.apt.packages names repository ${repo}, which downloads.apt.repositories lacks`);
  }
  const versionOf = (name: string) => apt.packages[name]?.version ?? null;
  const globCases = names
    .filter((n) => {
      const v = versionOf(n);
      return v !== null && isGlob(v);
    })
    .map((n) => sh`${n}) pattern=${globPrefix(versionOf(n) ?? "")} ;;`);
  const docker = names.includes("docker-ce");
  const body = sh`
installed_version() { dpkg-query -W -f='\${Status} \${Version}\n' "$1" 2>/dev/null | sed -n 's/^[a-z]* ok installed //p'; }
key_fingerprint() { gpg --batch --quiet --with-colons --show-keys "$1" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }'; }
index_stale=0
${shellLines([repos.length > 0 && shellCode("packages gpg")])}
${shellLines(repos.map((repo) => repositoryLines(apt, repo)))}
${shellLines([docker && otherDockerLines(apt.packages["docker-ce"]?.version ?? "")])}
wanted=()
globbed=()
${shellLines(names.map((name) => wantLine(name, versionOf(name))))}
if [ "\${#wanted[@]}" -gt 0 ] || [ "\${#globbed[@]}" -gt 0 ] || [ "$index_stale" = 1 ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq || fail "apt-get update failed (a repository's signature or index?)"
fi
for name in "\${globbed[@]}"; do
  case "$name" in
    ${globCases.length > 0 ? shellLines(globCases, "\n    ") : shellCode('"") pattern="" ;;')}
  esac
  # The newest version the archive has that the revision allows (madison lists newest first).
  version=$(apt-cache madison "$name" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | while read -r v; do case "$v" in "$pattern"*) echo "$v"; break ;; esac; done)
  [ -n "$version" ] || fail "$name: no version $pattern* in the configured apt sources (apt-cache madison $name)"
  wanted+=("$name=$version")
done
if [ "\${#wanted[@]}" -gt 0 ]; then
  apt-mark unhold ${names} >/dev/null 2>&1 || true
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends --allow-downgrades --allow-change-held-packages "\${wanted[@]}" ||
    fail "apt-get install \${wanted[*]} failed (see the log)"
  changed "packages \${wanted[*]}"
fi
${shellLines([holdLines(names.filter((n) => versionOf(n) !== null))])}
${shellLines(names.map((name) => checkLine(name, versionOf(name))))}
${shellLines([docker && dockerDaemonLines(ctx.revision.versions.docker)])}`;
  return stepScript({
    id: "apt",
    host: ctx.hostLabel,
    title: `signed apt packages at the revision's versions (${names.join(", ")})`,
    body,
  });
}

/** A Go toolchain tarball unpacked into its own folder; `links` puts go and gofmt on PATH. */
function goInstall(
  ctx: BootstrapContext,
  id: string,
  title: string,
  download: { url: string; file: string; sha256: string | null },
  version: string,
  links: boolean,
): string {
  const dir = `${TOOLS_DIR}/go-${version}`;
  const fresh = `${dir}.new`;
  const go = `${dir}/bin/go`;
  const linkLines = links && sh`link ${go} /usr/local/bin/go\nlink ${`${dir}/bin/gofmt`} /usr/local/bin/gofmt`;
  const body = sh`
want=${version}
if [ "$(first_version "$(${go} version 2>/dev/null || true)" 'go version go')" != "$want" ]; then
  fetch go ${download.file} ${download.url} sha256 ${download.sha256 ?? ""}
  rm -rf ${fresh}
  mkdir -p ${fresh}
  tar -xzf "$tools/downloads/"${download.file} -C ${fresh} --strip-components=1
  rm -rf ${dir}
  mv ${fresh} ${dir}
  changed "go $want"
fi
${shellLines([linkLines])}
[ "$(first_version "$(${go} version 2>&1 || true)" 'go version go')" = "$want" ] ||
  fail ${go} "does not report version $want"`;
  return stepScript({ id, host: ctx.hostLabel, title, body });
}

/** Go for the apps (the artifact builders use the `go` on PATH). */
export function goStep(ctx: BootstrapContext): string {
  const v = ctx.revision.versions.go;
  return goInstall(ctx, "go", `Go ${v} for the apps`, ctx.downloads.go, v, true);
}

/** The Go that builds k6 (xk6 and current k6 need Go 1.25 or newer); not on PATH. */
export function goBuildStep(ctx: BootstrapContext): string {
  const g = ctx.downloads.goBuild;
  return goInstall(ctx, "go-build", `Go ${g.version} to build k6 with xk6`, g, g.version, false);
}

/** A wrapper running one of npm's own scripts with the pinned Node. */
function npmWrapper(npmVersion: string, npmDir: string, cli: string): string {
  return sh`#!/bin/sh
${shellComment(`edgelab: npm ${npmVersion} on the pinned Node`)}
exec /usr/local/bin/node ${`${npmDir}/bin/${cli}`} "$@"
`.text;
}

/** The official Node binary from the npm registry (sha512 integrity), npm, and the engine's bundle copy. */
export function nodeStep(ctx: BootstrapContext): string {
  const { npmPackage, integrity } = ctx.revision.nodeBinary;
  const version = ctx.revision.versions.node;
  const npm = ctx.downloads.npm;
  const nodeFile = `${npmPackage}-${version}.tgz`;
  const nodeUrl = `${ctx.npmRegistry}${npmPackage}/-/${nodeFile}`;
  const npmFile = `npm-${npm.version}.tgz`;
  const nodeDir = `${TOOLS_DIR}/node-${version}`;
  const npmDir = `${TOOLS_DIR}/npm-${npm.version}`;
  const npmCli = `${npmDir}/bin/npm-cli.js`;
  const engineCopy = `${ENGINE_BUNDLE_DIR}/${nodeFile}`;
  const body = sh`
want=${version}
if [ "$(${`${nodeDir}/bin/node`} --version 2>/dev/null || true)" != "v$want" ]; then
  fetch node ${nodeFile} ${nodeUrl} sha512 ${integrityHex(integrity)}
  rm -rf ${`${nodeDir}.new`}
  mkdir -p ${`${nodeDir}.new`}
  tar -xzf "$tools/downloads/"${nodeFile} -C ${`${nodeDir}.new`} --strip-components=1
  chmod 755 ${`${nodeDir}.new/bin/node`}
  rm -rf ${nodeDir}
  mv ${`${nodeDir}.new`} ${nodeDir}
  changed "node $want"
fi
link ${`${nodeDir}/bin/node`} /usr/local/bin/node
[ "$(/usr/local/bin/node --version 2>&1 || true)" = "v$want" ] || fail "node does not report version v$want"
# The engine's artifact builder takes the same verified tarball from LAB_BUNDLE_DIR (no second download).
mkdir -p ${ENGINE_BUNDLE_DIR}
if ! cmp -s "$tools/downloads/"${nodeFile} ${engineCopy} 2>/dev/null; then
  fetch node ${nodeFile} ${nodeUrl} sha512 ${integrityHex(integrity)}
  cp "$tools/downloads/"${nodeFile} ${engineCopy}
  changed ${`engine bundle ${nodeFile}`}
fi
npm_want=${npm.version}
if [ ! -f ${npmCli} ] || [ "$(/usr/local/bin/node ${npmCli} --version 2>/dev/null || true)" != "$npm_want" ]; then
  fetch npm ${npmFile} ${`${ctx.npmRegistry}npm/-/${npmFile}`} sha512 ${integrityHex(npm.integrity)}
  rm -rf ${`${npmDir}.new`}
  mkdir -p ${`${npmDir}.new`}
  tar -xzf "$tools/downloads/"${npmFile} -C ${`${npmDir}.new`} --strip-components=1
  rm -rf ${npmDir}
  mv ${`${npmDir}.new`} ${npmDir}
  changed "npm $npm_want"
fi
if put_file /usr/local/bin/npm 0755 ${shellHeredoc(npmWrapper(npm.version, npmDir, "npm-cli.js"))}
then
  changed "npm wrapper"
fi
if put_file /usr/local/bin/npx 0755 ${shellHeredoc(npmWrapper(npm.version, npmDir, "npx-cli.js"))}
then
  changed "npx wrapper"
fi
[ "$(npm --version 2>&1 || true)" = "$npm_want" ] || fail "npm does not report version $npm_want"`;
  return stepScript({ id: "node", host: ctx.hostLabel, title: `Node ${version} and npm ${npm.version}`, body });
}

/** The environment of a Go build with the pinned toolchain: local toolchain only, the lab's caches. */
function goBuildEnv(goRoot: string, gobin?: string): Shell {
  const bin = gobin === undefined ? shellCode("") : sh`GOBIN=${gobin} `;
  return sh`GOTOOLCHAIN=local ${bin}GOPATH=${`${TOOLS_DIR}/gopath`} GOCACHE=${`${TOOLS_DIR}/gocache`} PATH=${`${goRoot}/bin`}:"$PATH"`;
}

/** k6 built with xk6 and the pinned Go (the load generator has no bundled k6). */
function k6BuildLines(ctx: BootstrapContext): Shell {
  const version = ctx.revision.versions.k6;
  const { goBuild, xk6 } = ctx.downloads;
  const goRoot = `${TOOLS_DIR}/go-${goBuild.version}`;
  const xk6Dir = `${TOOLS_DIR}/xk6-${xk6.version}`;
  return sh`${goBuildEnv(goRoot, xk6Dir)} \\
  go install ${`go.k6.io/xk6/cmd/xk6@v${xk6.version}`}
workdir=$(mktemp -d)
(cd "$workdir" && ${goBuildEnv(goRoot)} \\
  ${`${xk6Dir}/xk6`} build ${`v${version}`} --output "$workdir/k6")
install -m 0755 "$workdir/k6" /usr/local/bin/k6
rm -rf "$workdir"
changed "k6 $want built with xk6" ${xk6.version}`;
}

/** k6 from the bundle when it holds the pinned binary, otherwise built. */
function k6InstallLines(ctx: BootstrapContext): Shell {
  const k6Binary = ctx.downloads.k6Binary;
  const bundled = k6Binary && k6Binary.sha256 !== null ? k6Binary : null;
  if (!bundled) return k6BuildLines(ctx);
  return sh`if [ -f "$bundle/"${bundled.file} ]; then
  fetch k6 ${bundled.file} ${`https://bundle.invalid/${bundled.file}`} sha256 ${bundled.sha256 ?? ""}
  install -m 0755 "$tools/downloads/"${bundled.file} /usr/local/bin/k6
  changed "k6 $want from the bundle"
else
${k6BuildLines(ctx)}
fi`;
}

/** k6 of the pinned version: from the bundle when it holds a pinned binary, otherwise built with xk6. */
export function k6Step(ctx: BootstrapContext): string {
  const version = ctx.revision.versions.k6;
  const body = sh`
want=${version}
if [ "$(first_version "$(/usr/local/bin/k6 version 2>/dev/null || true)" 'k6 v')" != "$want" ]; then
${k6InstallLines(ctx)}
fi
[ "$(first_version "$(/usr/local/bin/k6 version 2>&1 || true)" 'k6 v')" = "$want" ] || fail "k6 does not report version $want"`;
  return stepScript({ id: "k6", host: ctx.hostLabel, title: `k6 ${version}`, body });
}

/** On the SUT: `npm ci` with the pinned Node whenever the lock file changed (offline from the bundle's cache when there is one). */
function npmCiLines(lab: string): Shell {
  return sh`lock=$(digest_of sha256 ${`${lab}/package-lock.json`})
lock_marker=${`${STATE_DIR}/npm-lock.sha256`}
if [ "$(cat "$lock_marker" 2>/dev/null || true)" != "$lock" ] || [ ! -x ${`${lab}/node_modules/.bin/tsx`} ]; then
  npm_flags=(ci --no-audit --no-fund)
  if [ -d "$bundle/npm-cache" ]; then npm_flags+=(--offline --cache "$bundle/npm-cache"); fi
  (cd ${lab} && npm "\${npm_flags[@]}")
  printf '%s\\n' "$lock" > "$lock_marker"
  changed "npm ci"
fi`;
}

/**
 * The lab's code from the uploaded archive into the lab folder (results, node_modules and build
 * stay), then `npm ci` with the pinned Node on the SUT when the lock file changed.
 */
export function codeStep(ctx: BootstrapContext): string {
  const code = ctx.code;
  if (!code) throw new Error("codeStep needs the uploaded code archive");
  const lab = ctx.labDir;
  const body = sh`
archive=${code.archivePath}
want=${code.sha256}
marker=${`${STATE_DIR}/code.sha256`}
if [ "$(cat "$marker" 2>/dev/null || true)" != "$want" ] || [ ! -f ${`${lab}/package.json`} ]; then
  [ -f "$archive" ] || fail "the code archive $archive is missing (it is uploaded before this step)"
  [ "$(digest_of sha256 "$archive")" = "$want" ] || fail "the code archive $archive is not the one uploaded (sha256 differs)"
  mkdir -p ${lab}
  # Replace the code, keep what the lab made there: results, node_modules, build, .cache.
  find ${lab} -mindepth 1 -maxdepth 1 ! -name results ! -name node_modules ! -name build ! -name .cache -exec rm -rf {} +
  tar -xzf "$archive" -C ${lab}
  printf '%s\\n' "$want" > "$marker"
  changed "lab code $want"
fi
${shellLines([ctx.roles.sut && npmCiLines(lab)])}`;
  return stepScript({ id: "code", host: ctx.hostLabel, title: "the lab's code", body });
}

/** The SUT's lab-internal key (made once); its value is the public key, for the load generator. */
export function labKeyStep(ctx: BootstrapContext): string {
  const body = sh`
mkdir -p /root/.ssh
chmod 700 /root/.ssh
if [ ! -f ${LAB_KEY_PATH} ]; then
  ssh-keygen -q -t ed25519 -N '' -C ${LAB_KEY_COMMENT} -f ${LAB_KEY_PATH}
  echo ${`made ${LAB_KEY_PATH}`}
fi
value=$(cat ${`${LAB_KEY_PATH}.pub`})`;
  return stepScript({ id: "lab-key", host: ctx.hostLabel, title: "the lab-internal ssh key", body, output: "value" });
}

/** The load generator's ed25519 host key, so the SUT trusts exactly this host (no trust on first use). */
export function hostKeyStep(ctx: BootstrapContext): string {
  const body = shellCode(`
keyfile=/etc/ssh/ssh_host_ed25519_key.pub
if [ ! -f "$keyfile" ]; then ssh-keygen -A; fi
[ -f "$keyfile" ] || fail "no ed25519 host key at $keyfile"
value=$(cut -d' ' -f1,2 "$keyfile")`);
  return stepScript({
    id: "host-key",
    host: ctx.hostLabel,
    title: "the host key the SUT will trust",
    body,
    output: "value",
  });
}

/** Validates the one-line public key text it is given, so nothing but a key reaches authorized_keys. */
export function assertPublicKey(key: string): string {
  const trimmed = key.trim();
  if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( [A-Za-z0-9@._-]+)?$/.test(trimmed)) {
    throw new Error(`not an OpenSSH public key line: ${JSON.stringify(trimmed.slice(0, 40))}`);
  }
  return trimmed;
}

/** Load generator: authorize the SUT's lab key, restricted (no pty, no forwarding) and to the SUT's address. */
export function authorizeStep(ctx: BootstrapContext, sutPublicKey: string, fromAddress: string | null): string {
  const key = assertPublicKey(sutPublicKey);
  const options = [`restrict`, ...(fromAddress ? [`from="${fromAddress}"`] : [])].join(",");
  const line = `${options} ${key}`;
  const body = sh`
mkdir -p /root/.ssh
chmod 700 /root/.ssh
touch /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
line=${line}
if ! grep -qxF "$line" /root/.ssh/authorized_keys; then
  # A lab key authorized before (another SUT key) is replaced, not kept beside the new one.
  grep -v ${` ${LAB_KEY_COMMENT}`} /root/.ssh/authorized_keys > /root/.ssh/authorized_keys.edgelab || true
  printf '%s\\n' "$line" >> /root/.ssh/authorized_keys.edgelab
  chmod 600 /root/.ssh/authorized_keys.edgelab
  mv /root/.ssh/authorized_keys.edgelab /root/.ssh/authorized_keys
  changed "authorized the SUT's lab key"
fi`;
  return stepScript({ id: "authorize-sut", host: ctx.hostLabel, title: "authorize the SUT's lab key", body });
}

/** SUT: trust the load generator's host key for its lab address (replacing an older entry). */
export function trustStep(ctx: BootstrapContext, loadgenAddress: string, hostKey: string): string {
  const key = hostKeyLine(hostKey);
  if (key === null) throw new Error(`not an OpenSSH host key: ${JSON.stringify(hostKey.slice(0, 40))}`);
  const line = `${loadgenAddress} ${key}`;
  const body = sh`
mkdir -p /root/.ssh
chmod 700 /root/.ssh
touch /root/.ssh/known_hosts
line=${line}
if ! grep -qxF "$line" /root/.ssh/known_hosts; then
  ssh-keygen -R ${loadgenAddress} -f /root/.ssh/known_hosts >/dev/null 2>&1 || true
  printf '%s\\n' "$line" >> /root/.ssh/known_hosts
  changed ${`known host ${loadgenAddress}`}
fi`;
  return stepScript({ id: "trust-loadgen", host: ctx.hostLabel, title: "trust the load generator's host key", body });
}
