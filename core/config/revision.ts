import { readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { repoRoot } from "../paths";
import { parseOrThrow } from "./errors";
import { type Profile, ProfileSchema } from "./profile";
import { readYamlFile } from "./yamlFile";

const version = z.string().regex(/^\d+\.\d+\.\d+$/, "expected a version like 1.2.3");
const imageRef = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?$/, "expected an image reference like name:tag");

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "expected a sha256: 64 lowercase hex digits");
const bundleFile = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, "expected a plain file name");
const httpsUrl = z.string().regex(/^https:\/\/\S+$/, "expected an https URL");
const npmIntegrity = z.string().regex(/^sha512-[A-Za-z0-9+/]+=*$/, "expected an npm sha512 integrity string");

/**
 * One file a lab host downloads (or takes from a bundle directory under the same name). `sha256`
 * null means "locked on first use": the Pulumi lab computes it, checks it against the vendor's own
 * checksum (`vendorChecksum`, where one is published) and keeps it in the lock file beside the
 * revision (infra/lock.ts); every later use verifies against the lock.
 */
export const DownloadSchema = z
  .object({
    url: httpsUrl,
    file: bundleFile,
    sha256: sha256Hex.nullable(),
    vendorChecksum: z
      .object({ url: httpsUrl, algorithm: z.enum(["md5", "sha256"]) })
      .strict()
      .optional(),
  })
  .strict();

/** A signed apt repository: its sources entry and the fingerprint its signing key must have. */
export const AptRepositorySchema = z
  .object({
    url: z.string().regex(/^(https:\/\/|file:\/)\S+$/, "expected an https URL (or file:/ for a local test repository)"),
    suite: z.string().regex(/^[A-Za-z0-9._/-]+$/, "expected a suite like noble"),
    components: z.array(z.string().regex(/^[a-z0-9-]+$/)).min(1),
    key: z
      .object({
        url: z.string().regex(/^(https:\/\/|file:\/)\S+$/, "expected an https URL"),
        fingerprint: z.string().regex(/^[0-9A-F]{40}$/, "expected a 40-digit uppercase OpenPGP fingerprint"),
      })
      .strict(),
  })
  .strict();

/**
 * A package from a signed apt repository (apt checks every package's hash against the signed
 * index). `version`: the exact Debian version, or a prefix ending in `*` where the archive's
 * update number is not known ahead (the exact version installed is recorded); null: installed
 * beside the others at the repository's version and recorded. `for`: the platforms (or
 * "loadgen") that need it; `from`: a repository above (absent: the distribution's own archive).
 */
export const AptPackageSchema = z
  .object({
    version: z
      .string()
      .regex(/^[0-9A-Za-z.+~:-]+\*?$/, "expected a Debian version like 5:28.3.1-1~ubuntu.24.04~noble")
      .nullable(),
    for: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/)).min(1),
    from: z.string().optional(),
  })
  .strict();

/** What the Pulumi lab installs on its hosts, each verified before use (the local lab needs none of it). */
const DownloadsShape = z
  .object({
    /** Go for the apps (versions.go), the official tarball. */
    go: DownloadSchema,
    /** The Go that builds k6 with xk6 (current k6 needs Go 1.25 or newer); never used for the apps. */
    goBuild: DownloadSchema.extend({ version }),
    /** Docker, QEMU, runsc and wrk from signed apt repositories at exact versions (preflight checks them). */
    apt: z
      .object({
        repositories: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), AptRepositorySchema),
        packages: z.record(z.string().regex(/^[a-z0-9][a-z0-9.+-]*$/), AptPackageSchema),
      })
      .strict(),
    /** npm to run `npm ci` on the SUT with the pinned Node (npm's binary tarball has no npm). */
    npm: z.object({ version, integrity: npmIntegrity }).strict(),
    /** xk6 as a Go module (go install checks it against the Go checksum database). */
    xk6: z.object({ version }).strict(),
    /** Optional prebuilt k6 of versions.k6 for labs without a Go module proxy: taken from the bundle only. */
    k6Binary: z.object({ file: bundleFile, sha256: sha256Hex.nullable() }).strict().optional(),
  })
  .strict();

/**
 * The downloads: the lab's own entries above, and every other key a file a plugin (a platform or a
 * load generator) fetches on its hosts, by the key its module declares (lab/install.ts; e.g. ops,
 * nanosKernel and nanosCommon for Nanos). A plugin's file is read by key (infra/installs.ts
 * downloadOf), so its type here is open.
 */
export type Downloads = z.output<typeof DownloadsShape> & { readonly [plugin: string]: unknown };
export const DownloadsSchema = DownloadsShape.catchall(DownloadSchema) as unknown as z.ZodType<Downloads>;

export type Download = z.output<typeof DownloadSchema>;
export type AptPackage = z.output<typeof AptPackageSchema>;
export type AptRepository = z.output<typeof AptRepositorySchema>;

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
      // A plugin's own tool (a platform or a generator that comes as a download) pins its version here too.
      .catchall(version),
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
        (profiles) => Object.hasOwn(profiles, "paper") && Object.hasOwn(profiles, "quick"),
        "expected at least the profiles paper and quick",
      )
      // Without a prototype, a profile name typed by a user (`--profile constructor`) finds no
      // inherited Object member: every lookup `profiles[name]` is a profile or undefined.
      .transform((profiles) => Object.assign(Object.create(null) as Record<string, Profile>, profiles)),
    /** Downloads of the Pulumi lab's hosts (optional: only the Pulumi lab needs them). */
    downloads: DownloadsSchema.optional(),
  })
  .strict();

export type Revision = z.output<typeof RevisionSchema>;

export const DEFAULT_REVISION_ID = "paper-2025";

export function revisionPath(id: string): string {
  return join(repoRoot, "revisions", `${id}.yaml`);
}

/**
 * Read a revision file and check its shape; `idOrPath` is a revision id or a path to a YAML file.
 * Before a run, use `loadRevision` of lab/config/revision.ts, which also checks the profiles
 * against the registries (runtimes, workloads, platforms, knobs).
 */
export function readRevision(
  idOrPath: string = DEFAULT_REVISION_ID,
  schema: z.ZodType<Revision> = RevisionSchema,
): Revision {
  const path = idOrPath.endsWith(".yaml") || idOrPath.includes("/") ? idOrPath : revisionPath(idOrPath);
  const allowed = `use a revision id (${shippedRevisionIds().join(", ")}) or the path of a .yaml file`;
  return parseOrThrow(schema, readYamlFile(path, `revision ${JSON.stringify(idOrPath)}`, allowed), path);
}

/** The revisions this checkout ships (revisions/*.yaml), for error messages. */
function shippedRevisionIds(): string[] {
  try {
    return readdirSync(join(repoRoot, "revisions"))
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => f.slice(0, -".yaml".length));
  } catch {
    return [DEFAULT_REVISION_ID];
  }
}
