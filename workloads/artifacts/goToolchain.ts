import { existsSync } from "node:fs";
import { run } from "../../core/exec";

export interface GoToolchain {
  /** Path of the `go` command used. */
  command: string;
  /** As `go version` says it, e.g. "1.22.12". */
  version: string;
}

/**
 * Debian installs versioned toolchains outside PATH (golang-1.22-go in /usr/lib/go-1.22);
 * `GO` overrides the search so a user can point at the paper's exact 1.22.2.
 */
const candidates = (): string[] => [
  ...(process.env.GO ? [process.env.GO] : []),
  "go",
  "/usr/local/go/bin/go",
  "/usr/lib/go-1.22/bin/go",
  "/usr/lib/go-1.23/bin/go",
  "/usr/lib/go/bin/go",
];

export function parseGoVersion(output: string): string {
  const match = /go version go(\d+\.\d+(?:\.\d+)?)/.exec(output);
  if (!match?.[1]) throw new Error(`cannot read a Go version from ${JSON.stringify(output.trim())}`);
  return match[1];
}

export async function findGoToolchain(): Promise<GoToolchain> {
  const tried: string[] = [];
  for (const command of candidates()) {
    if (command.includes("/") && !existsSync(command)) continue;
    tried.push(command);
    try {
      const { stdout } = await run(command, ["version"], { timeoutMs: 20_000 });
      return { command, version: parseGoVersion(stdout) };
    } catch {
      // try the next candidate
    }
  }
  throw new Error(
    `no Go toolchain found (tried ${tried.join(", ") || "nothing"}): install one (apt-get install golang-go, ` +
      "or golang-1.22-go from bookworm-backports) or set GO=/path/to/go",
  );
}
