import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../core/exec";

/** Everything the lab builds, as far as its size is concerned. */
export type SizedArtifact =
  | { kind: "file"; path: string }
  | { kind: "directory"; path: string }
  | { kind: "docker-image"; ref: string }
  | { kind: "nanos-image"; path: string };

export interface ArtifactSize {
  /** Bytes as a reader of the file sees them (ls -l), or Docker's uncompressed image size. */
  apparentBytes: number;
  /** Bytes the file system really holds (du); null where it has no meaning (a Docker image). */
  allocatedBytes: number | null;
}

function treeSize(path: string): ArtifactSize {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return { apparentBytes: stat.size, allocatedBytes: stat.blocks * 512 };
  let apparentBytes = 0;
  let allocatedBytes = 0;
  for (const entry of readdirSync(path)) {
    const child = treeSize(join(path, entry));
    apparentBytes += child.apparentBytes;
    allocatedBytes += child.allocatedBytes ?? 0;
  }
  return { apparentBytes, allocatedBytes };
}

/**
 * One size function for every artifact, so the report compares like with like. Nanos images
 * are sparse disk images: the apparent size is what a download or `ls` shows, the allocated
 * size what the disk really holds; both are kept.
 */
export async function measureArtifactSize(artifact: SizedArtifact): Promise<ArtifactSize> {
  switch (artifact.kind) {
    case "file":
    case "nanos-image": {
      const stat = lstatSync(artifact.path);
      if (!stat.isFile()) throw new Error(`${artifact.path} is not a regular file`);
      return { apparentBytes: stat.size, allocatedBytes: stat.blocks * 512 };
    }
    case "directory":
      return treeSize(artifact.path);
    case "docker-image": {
      const { stdout } = await run("docker", ["image", "inspect", "--format", "{{.Size}}", artifact.ref]);
      const bytes = Number(stdout.trim());
      if (!Number.isSafeInteger(bytes))
        throw new Error(`docker reported a size of ${stdout.trim()} for ${artifact.ref}`);
      return { apparentBytes: bytes, allocatedBytes: null };
    }
  }
}
