import { execFile } from "node:child_process";
import { shellQuote } from "./shell";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Text written to the command's standard input. */
  input?: string;
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** A command that failed: says which, how, and the end of what it printed. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const tail = stderr.trim().split("\n").slice(-15).join("\n");
    super(`command failed (exit ${exitCode ?? "signal"}): ${command}${tail ? `\n${tail}` : ""}`);
    this.name = "CommandError";
  }
}

/** Run a program (no shell) and collect its output; rejects with CommandError on failure. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const display = [command, ...args].map(shellQuote).join(" ");
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeoutMs ?? 0,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === "number" ? error.code : null;
          // Some tools (shellcheck, linters) report on stdout: keep both.
          const printed = [stderr, stdout].filter((text) => text.trim() !== "").join("\n");
          const reason =
            error.code === "ENOENT" ? `${command}: not installed or not on PATH` : printed || error.message;
          reject(new CommandError(display, code, reason));
          return;
        }
        resolvePromise({ stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** True when `command` can be started (it is installed and on PATH). */
export async function hasCommand(command: string, versionArgs: readonly string[] = ["--version"]): Promise<boolean> {
  try {
    await run(command, versionArgs, { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}
