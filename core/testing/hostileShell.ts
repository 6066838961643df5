/**
 * A sandbox to run generated shell scripts whose inputs are hostile, and see what reached the
 * commands they call. Each run gets a private mount namespace of an unprivileged user (nobody,
 * when the tests run as root) that is root inside: /var, /opt, /root, /usr/local, /run and
 * /home are empty tmpfs there, so a script may write its files, and nothing of the machine
 * can be changed. Commands that act on the world (docker, ssh, apt-get, ip...) are stand-ins in
 * /usr/local/bin that record their argv, and the environment values carrying HOSTILE_TOKEN, NUL
 * separated. The bootstrap's own PATH starts with /usr/local/bin, so it finds them too. /etc is
 * an overlay (reads see the machine's, writes stay in the run's folder), so alternatives such as
 * awk still resolve.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shellQuote } from "../shell";

/** In every hostile value, so the stand-ins know which environment values to record. */
export const HOSTILE_TOKEN = "hostile";

/**
 * Values that would run code, split into several words or vanish if any script let the shell
 * read them: command substitution both ways, quotes of both kinds closing early, a newline and a
 * separator starting a new command, a glob, a variable, a backslash and a tab, and unicode.
 * Each would create a marker file in `markerDir` if it ran.
 */
export function hostileValues(markerDir: string): string[] {
  const marker = (n: number) => `${markerDir}/marker-${n}`;
  return [
    `${HOSTILE_TOKEN} $(touch ${marker(1)})`,
    `${HOSTILE_TOKEN} \`touch ${marker(2)}\``,
    `${HOSTILE_TOKEN}'; touch ${marker(3)}; '`,
    `${HOSTILE_TOKEN}"; touch ${marker(4)}; "`,
    `${HOSTILE_TOKEN}\ntouch ${marker(5)}`,
    `${HOSTILE_TOKEN} & touch ${marker(6)} | *`,
    `${HOSTILE_TOKEN} ünïcødé ✓ $HOME \\ \t -n`,
  ];
}

/** All of them in one value: what the scripts are run with (one run per generator keeps the test fast). */
export function compositeHostileValue(markerDir: string): string {
  return hostileValues(markerDir).join(" ");
}

/** One call of a stand-in: its name, its arguments, and `NAME=value` of each hostile environment value. */
export interface StandInCall {
  command: string;
  args: string[];
  env: string[];
}

export interface SandboxRun {
  calls: StandInCall[];
  /** What the scripts printed, with each one's exit status. */
  output: string;
}

/** Commands stood in for by default: everything that reaches beyond the sandbox or waits. */
export const STAND_INS = [
  "apt-cache",
  "apt-get",
  "apt-mark",
  "bash",
  "chown",
  "cloud-init",
  "curl",
  "docker",
  "dockerd",
  "dpkg-query",
  "flock",
  "go",
  "gpg",
  "install",
  "ip",
  "jq",
  "k6",
  "netplan",
  "nft",
  "node",
  "nohup",
  "npm",
  "ops",
  "pgrep",
  "qemu-system-x86_64",
  "runsc",
  "setsid",
  "ssh",
  "ssh-keygen",
  "sudo",
  "sysctl",
  "systemctl",
  "tar",
  "taskset",
  "timedatectl",
  "wrk",
] as const;

function standIn(record: string, extra: string): string {
  return `#!/bin/bash
{
  printf '%s\\0' "\${0##*/}" "$@"
  for name in $(compgen -e); do
    case "\${!name}" in *${HOSTILE_TOKEN}*) printf 'env:%s=%s\\0' "$name" "\${!name}" ;; esac
  done
  printf '\\1\\0'
} >> ${shellQuote(record)}
${extra}
exit 0
`;
}

/** Why the sandbox cannot be made here, or false. In CI it must work. */
export function sandboxSkip(): string | false {
  const probe = spawnSync(
    "bash",
    ["-c", `${sandboxPrefix().map(shellQuote).join(" ")} bash -c 'mount -t tmpfs tmpfs /usr/local && id -u'`],
    { encoding: "utf8" },
  );
  if (probe.status === 0 && probe.stdout.trim() === "0") return false;
  const reason = `no user and mount namespace for the shell sandbox (unshare: ${probe.stderr.trim() || probe.status})`;
  if (process.env.CI === "true") throw new Error(`${reason}; CI must allow it`);
  return reason;
}

function sandboxPrefix(): string[] {
  const drop = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
  return [...drop, "unshare", "--user", "--map-root-user", "--mount"];
}

/** A folder everyone may write (the sandbox's user is nobody). */
export function openFolder(path: string): string {
  mkdirSync(path, { recursive: true });
  chmodSync(path, 0o777);
  return path;
}

/** A temporary root for a test's sandboxes, with its marker folder. */
export function sandboxRoot(): { root: string; markers: string } {
  const root = openFolder(mkdtempSync(join(tmpdir(), "hostile-shell-")));
  return { root, markers: openFolder(join(root, "markers")) };
}

/** Markers the hostile values made (any at all means a value ran as code), removed so the next run starts clean. */
export function takeMarkers(markers: string): string[] {
  const made = readdirSync(markers);
  for (const name of made) rmSync(join(markers, name), { force: true });
  return made;
}

export interface SandboxScript {
  text: string;
  /** Where it runs (default: the run's own folder). */
  cwd?: string;
}

/**
 * Run the scripts one after another in a fresh sandbox, each with /bin/bash in its folder and a
 * time limit; `extras` adds shell to a stand-in after it recorded (e.g. `echo 1 > instance.pid`).
 */
export function runInSandbox(
  root: string,
  name: string,
  scripts: readonly SandboxScript[],
  extras: Readonly<Record<string, string>> = {},
): SandboxRun {
  const dir = openFolder(mkdtempSync(join(root, `${name.replace(/[^A-Za-z0-9_-]/g, "_")}-`)));
  const stubs = openFolder(join(dir, "stand-ins"));
  const record = join(dir, "calls");
  writeFileSync(record, "", { mode: 0o666 });
  chmodSync(record, 0o666);
  for (const command of new Set([...STAND_INS, ...Object.keys(extras)])) {
    writeFileSync(join(stubs, command), standIn(record, extras[command] ?? ""), { mode: 0o755 });
  }
  // `sleep` only waits: it is a no-op so that polling loops end at once.
  writeFileSync(join(stubs, "sleep"), "#!/bin/bash\nexit 0\n", { mode: 0o755 });
  const list: string[] = [];
  scripts.forEach((script, i) => {
    const path = join(dir, `script-${i}.sh`);
    writeFileSync(path, script.text, { mode: 0o644 });
    list.push(script.cwd ?? dir, path);
  });
  const driver = join(dir, "driver.sh");
  writeFileSync(
    driver,
    `set -u
mkdir -p ${shellQuote(join(dir, "etc-upper"))} ${shellQuote(join(dir, "etc-work"))}
mount -t overlay overlay -o ${shellQuote(`lowerdir=/etc,upperdir=${join(dir, "etc-upper")},workdir=${join(dir, "etc-work")}`)} /etc || exit 97
for d in /var /opt /root /usr/local /run /home; do mount -t tmpfs tmpfs "$d" || exit 97; done
mkdir -p /usr/local/bin
cp ${shellQuote(stubs)}/* /usr/local/bin/
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
while IFS= read -r -d '' cwd && IFS= read -r -d '' script; do
  (cd "$cwd" && timeout 60 /bin/bash "$script" < /dev/null) 2>&1
  echo "[exit $? of $script]"
done < ${shellQuote(join(dir, "list"))}
`,
  );
  writeFileSync(join(dir, "list"), list.map((entry) => `${entry}\0`).join(""));
  const result = spawnSync(sandboxPrefix()[0] as string, [...sandboxPrefix().slice(1), "/bin/bash", driver], {
    encoding: "utf8",
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`the sandbox failed (${result.status}): ${result.stderr}${result.stdout}`);
  return { calls: parseCalls(readFileSync(record, "utf8")), output: result.stdout };
}

function parseCalls(text: string): StandInCall[] {
  const calls: StandInCall[] = [];
  let fields: string[] = [];
  for (const field of text.split("\0").slice(0, -1)) {
    if (field !== "\x01") {
      fields.push(field);
      continue;
    }
    const [command = "", ...rest] = fields;
    calls.push({
      command,
      args: rest.filter((f) => !f.startsWith("env:")),
      env: rest.filter((f) => f.startsWith("env:")).map((f) => f.slice(4)),
    });
    fields = [];
  }
  return calls;
}

/** Whether `value` reached a stand-in whole: inside one argument, or one environment value. */
export function arrivedWhole(run: SandboxRun, value: string): boolean {
  return run.calls.some(
    (call) => call.args.some((arg) => arg.includes(value)) || call.env.some((entry) => entry.includes(value)),
  );
}

/**
 * `bash -n` on each script (a value that broke out of its quotes would usually not parse): the
 * errors, one per script that does not parse, named by its index. One bash checks them all.
 */
export function syntaxErrors(root: string, texts: readonly string[]): string[] {
  const dir = mkdtempSync(join(root, "syntax-"));
  const files = texts.map((text, i) => {
    const path = join(dir, `${i}.sh`);
    writeFileSync(path, text);
    return path;
  });
  const result = spawnSync(
    "bash",
    ["-c", 'for f; do out=$(bash -n "$f" 2>&1) || printf \'%s: %s\\0\' "$f" "$out"; done', "check", ...files],
    { encoding: "utf8" },
  );
  return result.stdout.split("\0").filter((line) => line !== "");
}
