import { join, resolve } from "node:path";

/** The repository root, wherever the lab is run from. */
export const repoRoot = resolve(__dirname, "..");
/** Downloads the lab verifies and keeps between runs (pinned Node binaries). */
export const cacheDir = join(repoRoot, ".cache");
/** Everything the lab builds: binaries, Docker build contexts, Nanos inputs. */
export const buildDir = join(repoRoot, "build");
