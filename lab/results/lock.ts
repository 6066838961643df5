/**
 * One lab per run folder. Two runners writing the same run would record a cell twice, remove each
 * other's instances as "leftovers" and interleave the manifest's resumes; the lock makes the second
 * one stop before it writes anything, naming the first.
 *
 * The lock is `<runDir>/lab.lock`, created with O_EXCL (exactly one creator wins, on any local
 * filesystem) and holding who took it. A lock whose process is gone (a SIGKILLed runner, a host
 * that rebooted) is stale and is taken over, with a note. The process is recognised by its pid and
 * its start time, so a reused pid is not mistaken for the holder.
 *
 * While a live lab holds a run, the leftover cleanup of any other runner on the same results
 * folder leaves that run's instances alone (lab/results/store.ts, cleanLeftovers).
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { InputError } from "../../core/config/errors";

export const LOCK_FILE = "lab.lock";
/** A takeover in progress; a creator that died mid-takeover leaves it, so an old one is ignored. */
const TAKEOVER_SUFFIX = ".takeover";
const TAKEOVER_STALE_MS = 30_000;

export interface LockHolder {
  pid: number;
  host: string;
  /** The holder's start time in the kernel's clock ticks since boot (/proc/<pid>/stat field 22), when known. */
  processStart: string | null;
  startedAt: string;
  runDir: string;
  command: string;
}

/** An InputError, so the command line prints its message and no stack. */
export class RunLockedError extends InputError {
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | null,
  ) {
    super(
      holder
        ? `${holder.runDir} is in use by another lab: pid ${holder.pid} on ${holder.host}, started ${holder.startedAt} (${holder.command}). ` +
            `Wait for it to finish, or stop it (kill ${holder.pid}); the lock is ${lockPath}`
        : `${lockPath} is being taken by another lab right now: try again in a moment`,
    );
  }
}

function processStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces and parentheses) start at field 3: start time is field 22.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote `holder` still runs: same host, same pid, same start time. */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true; // cannot be checked from here: assume it runs
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const start = processStartOf(holder.pid);
  if (start === null) return process.platform !== "linux"; // no /proc entry on Linux: gone (or a zombie reaped)
  return holder.processStart === null || holder.processStart === start;
}

function me(runDir: string): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    processStart: processStartOf(process.pid),
    startedAt: new Date().toISOString(),
    runDir,
    command: process.argv
      .slice(1)
      .map((a) => a.replace(/^.*\/node_modules\/.*$/, "tsx"))
      .join(" ")
      .slice(0, 300),
  };
}

function readHolder(path: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockHolder>;
    if (typeof parsed.pid !== "number" || typeof parsed.host !== "string") return null;
    return {
      pid: parsed.pid,
      host: parsed.host,
      processStart: parsed.processStart ?? null,
      startedAt: parsed.startedAt ?? "(unknown)",
      runDir: parsed.runDir ?? "(unknown)",
      command: parsed.command ?? "(unknown)",
    };
  } catch {
    return null;
  }
}

/** Create `path` only if it does not exist, holding `text`; false when it exists. */
function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    writeSync(fd, text);
  } catch (error) {
    // A lock that says nobody is worse than none (a full disk): leave no half lock behind.
    closeSync(fd);
    rmSync(path, { force: true });
    throw error;
  } finally {
    try {
      closeSync(fd);
    } catch {
      // closed above
    }
  }
  return true;
}

/** Who holds the lock of `runDir`, if a live process other than this one does. */
export function liveHolderOf(runDir: string): LockHolder | null {
  const holder = readHolder(join(runDir, LOCK_FILE));
  if (!holder || holder.pid === process.pid) return null;
  return holderAlive(holder) ? holder : null;
}

export interface RunLock {
  path: string;
  /** The runner whose stale lock was taken over, if any. */
  tookOverFrom: LockHolder | null;
  /** Remove the lock; safe to call more than once. */
  release(): void;
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Take the lock of an existing run folder or refuse with RunLockedError naming the holder. A stale
 * lock is taken over under a second exclusive file, so two runners that both find it stale cannot
 * both win.
 */
export function acquireRunLock(runDir: string): RunLock {
  const path = join(runDir, LOCK_FILE);
  const self = me(runDir);
  const text = `${JSON.stringify(self, null, 2)}\n`;
  let tookOverFrom: LockHolder | null = null;
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(path, text)) break;
    const holder = readHolder(path);
    if (holder && holderAlive(holder)) throw new RunLockedError(path, holder);
    // Unreadable: another runner is between creating the file and writing it. Give it a moment.
    if (!holder && attempt < 20) {
      sleepSync(25);
      continue;
    }
    const takeover = `${path}${TAKEOVER_SUFFIX}`;
    if (!createExclusive(takeover, String(process.pid))) {
      const age = Date.now() - fileMtimeMs(takeover);
      if (age > TAKEOVER_STALE_MS) rmSync(takeover, { force: true });
      else if (attempt >= 40) throw new RunLockedError(path, null);
      sleepSync(25);
      continue;
    }
    try {
      // Still the stale lock we read (not one a faster runner just took)?
      const now = readHolder(path);
      if (now && holderAlive(now)) throw new RunLockedError(path, now);
      rmSync(path, { force: true });
      if (!createExclusive(path, text)) throw new RunLockedError(path, readHolder(path));
      tookOverFrom = now ?? holder;
    } finally {
      rmSync(takeover, { force: true });
    }
    break;
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener("exit", release);
    // Only our own lock: never remove one a later runner took over after ours was thought stale.
    if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
  };
  // The last resort for exits that skip the runner's own finally (process.exit in a signal handler).
  process.on("exit", release);
  return { path, tookOverFrom, release };
}

function fileMtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** "pid 123 on host, started ..." for notes. */
export function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}`;
}
