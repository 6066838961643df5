import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { repoRoot } from "../paths";
import { parseOrThrow } from "./errors";
import { ProfileSchema } from "./profile";

const version = z.string().regex(/^\d+\.\d+\.\d+$/, "expected a version like 1.2.3");
const imageRef = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?$/, "expected an image reference like name:tag");

export const RevisionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "expected lowercase letters, digits, dots and dashes"),
    title: z.string().min(1),
    versions: z
      .object({
        go: version,
        node: version,
        docker: version,
        nanos: version,
        ops: version,
        qemu: version,
        ubuntu: z.string().regex(/^\d+\.\d+$/, "expected a release like 24.04"),
        k6: version,
      })
      .strict(),
    nodeBinary: z
      .object({
        npmPackage: z.string().min(1),
        integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]+=*$/, "expected an npm sha512 integrity string"),
      })
      .strict(),
    images: z.object({ goBuilder: imageRef, goRuntime: imageRef, nodeRuntime: imageRef }).strict(),
    profiles: z
      .record(z.string().regex(/^[a-z][a-z0-9-]*$/, "expected a lowercase profile name"), ProfileSchema)
      .refine(
        (profiles) => "paper" in profiles && "quick" in profiles,
        "expected at least the profiles paper and quick",
      ),
  })
  .strict();

export type Revision = z.output<typeof RevisionSchema>;

export const DEFAULT_REVISION_ID = "paper-2025";

export function revisionPath(id: string): string {
  return join(repoRoot, "revisions", `${id}.yaml`);
}

/** Load and validate a revision file; `idOrPath` is a revision id or a path to a YAML file. */
export function loadRevision(idOrPath: string = DEFAULT_REVISION_ID): Revision {
  const path = idOrPath.endsWith(".yaml") || idOrPath.includes("/") ? idOrPath : revisionPath(idOrPath);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new Error(`revision ${JSON.stringify(idOrPath)} not found at ${path}`);
  }
  return parseOrThrow(RevisionSchema, parseYaml(text), path);
}
