import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../core/exec";
import { repoRoot } from "../../core/paths";
import { findGoToolchain } from "./goToolchain";

export const goSourceDir = join(repoRoot, "workloads", "go");

export interface GoBinary {
  path: string;
  goVersion: string;
}

/** The paper's raw Go artifact: a static, trimmed binary (CGO off, no symbol tables). */
export async function buildGoBinary(outDir: string): Promise<GoBinary> {
  const toolchain = await findGoToolchain();
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, "edgeapp-go");
  await run(toolchain.command, ["build", "-trimpath", "-ldflags=-s -w", "-o", path, "."], {
    cwd: goSourceDir,
    // GOTOOLCHAIN=local: never let a newer go.mod line trigger a toolchain download.
    env: { ...process.env, CGO_ENABLED: "0", GOOS: "linux", GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" },
    timeoutMs: 300_000,
  });
  return { path, goVersion: toolchain.version };
}
