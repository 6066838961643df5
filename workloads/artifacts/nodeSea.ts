import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../core/exec";
import type { PinnedNode } from "./nodeRuntime";

/** The fuse every official Node binary carries since SEA support (Node docs, "Single executable applications"). */
export const SEA_SENTINEL_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
export const SEA_RESOURCE_NAME = "NODE_SEA_BLOB";

export interface SeaConfig {
  main: string;
  output: string;
  disableExperimentalSEAWarning: boolean;
  useSnapshot: boolean;
  useCodeCache: boolean;
}

/**
 * The SEA configuration the lab uses. No code cache and no snapshot: the raw binary must run
 * the same JavaScript the Docker and Nanos artifacts run, so start-up differences come from the
 * platform and not from a pre-compiled app.
 */
export function seaConfig(appScript: string, blobPath: string): SeaConfig {
  return {
    main: appScript,
    output: blobPath,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: false,
  };
}

export interface NodeSea {
  path: string;
  nodeVersion: string;
}

/**
 * The Node raw binary: a single executable of the pinned official Node with the app injected
 * (the paper used `pkg`, which is unmaintained and has no Node 24 base). Steps as documented for
 * Node 24: generate the blob with --experimental-sea-config, copy the binary, inject with postject.
 */
export async function buildNodeSea(node: PinnedNode, appScript: string, outDir: string): Promise<NodeSea> {
  const workDir = join(outDir, "sea-work");
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const blobPath = join(workDir, "sea-prep.blob");
  const configPath = join(workDir, "sea-config.json");
  writeFileSync(configPath, JSON.stringify(seaConfig(appScript, blobPath), null, 2));
  // The blob must come from the same Node that runs it: it encodes V8 and Node versions.
  await run(node.path, ["--experimental-sea-config", configPath], { cwd: workDir, timeoutMs: 120_000 });

  const path = join(outDir, "edgeapp-node");
  rmSync(path, { force: true });
  copyFileSync(node.path, path);
  chmodSync(path, 0o755);
  // postject's CLI in a child process: its WebAssembly core prints harmless ELF warnings
  // (".note.100") that belong in the output of a failed build only.
  await run(
    process.execPath,
    [require.resolve("postject/dist/cli.js"), path, SEA_RESOURCE_NAME, blobPath, "--sentinel-fuse", SEA_SENTINEL_FUSE],
    {
      timeoutMs: 300_000,
    },
  );
  // An injection that silently did nothing leaves plain node, which would sit in a REPL.
  if (!readFileSync(path).includes(`${SEA_SENTINEL_FUSE}:1`)) {
    throw new Error(`${path}: the SEA fuse was not flipped; the blob was not injected`);
  }
  rmSync(workDir, { recursive: true, force: true });
  return { path, nodeVersion: node.version };
}
