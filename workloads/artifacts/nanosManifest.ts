/**
 * The Nanos image manifest ops 0.1.43 would build for the lab's apps, written as the text Nanos'
 * own `mkfs` reads (`mkfs -b boot.img -k kernel.img image < manifest`). ops builds the same tree
 * in memory and writes the file system with its Go port of mkfs (fs/mkfs.go); the direct form
 * gives the C mkfs of the Nanos release the same program, arguments, environment and files.
 * What ops 0.1.43 puts in (lepton/image.go BuildManifest, at tag 0.1.43):
 * - the program at "/" + its path as typed (fs/manifest.go AddUserProgram), argv[0] that path
 *   (cmd/flags_build_image.go:101-103), then the config's Args;
 * - the config's Files at /<name> (lepton/image.go:268-286);
 * - the shared libraries the program loads, at the paths the loader resolved (lepton/ldd_linux.go);
 * - /etc/resolv.conf "nameserver  8.8.8.8\n" (lepton/image.go:69-87 with cmd/flags_nightly.go:126-129),
 *   /proc/sys/kernel/hostname "uniboot" (:90-104), /etc/passwd (:106-124);
 * - from ~/.ops/common (common.tar.gz): /lib/x86_64-linux-gnu/libnss_dns.so.2 and
 *   /etc/ssl/certs/ca-certificates.crt, each only when present (:127-162);
 * - environment USER, PWD, OPS_VERSION, NANOS_VERSION, NANOS_ARCH, IMAGE_NAME, then the config's
 *   Env, then OPS_PORT from the build config's Ports (:329-369).
 * The kernel goes into the boot file system (`-k`), not the manifest.
 */

/** The files ops generates for every image, with the contents ops 0.1.43 gives them. */
export const OPS_GENERATED_FILES = {
  "/etc/passwd": "root:x:0:0:root:/root:/bin/nobash",
  // fmt.Sprintln("nameserver ", ns): two spaces, a newline; 8.8.8.8 is ops' default nameserver.
  "/etc/resolv.conf": "nameserver  8.8.8.8\n",
  "/proc/sys/kernel/hostname": "uniboot",
} as const;

/** Where ops puts the two files it takes from its common archive (lepton/const.go:292-293). */
export const OPS_COMMON_FILES = {
  libnssDns: "/lib/x86_64-linux-gnu/libnss_dns.so.2",
  caCertificates: "/etc/ssl/certs/ca-certificates.crt",
} as const;

export interface OpsManifestInput {
  /** The program's path as the lab types it to `ops build` (absolute: the same path in the image). */
  program: string;
  /** The config's Args (after the program). */
  args: readonly string[];
  /** The config's Files: each lands at /<name>, read from `hostPath`. */
  files: readonly { name: string; hostPath: string }[];
  /** Host paths of the shared libraries the program loads (ldd): each lands at the same path. */
  libraries: readonly string[];
  /** Host paths of ops' generated files (OPS_GENERATED_FILES), written by the lab. */
  generated: Readonly<Record<keyof typeof OPS_GENERATED_FILES, string>>;
  /** Host paths of ops' common files, when the common archive holds them. */
  common: { libnssDns?: string; caCertificates?: string };
  /** The build config's Env (PORT). */
  env: Readonly<Record<string, string>>;
  /** The build config's RunConfig.Ports: OPS_PORT. */
  ports: readonly string[];
  imageName: string;
  opsVersion: string;
  nanosVersion: string;
}

interface DirNode {
  kind: "dir";
  children: Map<string, Node>;
}
interface FileNode {
  kind: "file";
  host: string;
}
type Node = DirNode | FileNode;

export interface NanosManifest {
  root: DirNode;
  program: string;
  arguments: string[];
  /** In the order ops adds them; a later entry of the same name replaces the earlier. */
  environment: [string, string][];
}

/** ops' AddFileTo: the parts of an absolute guest path, folders made on the way. */
function addFile(root: DirNode, guestPath: string, host: string): void {
  const parts = guestPath.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.length === 0 || parts.includes("..")) throw new Error(`nanos manifest: bad guest path ${guestPath}`);
  let node = root;
  for (const part of parts.slice(0, -1)) {
    let next = node.children.get(part);
    if (next === undefined) {
      next = { kind: "dir", children: new Map() };
      node.children.set(part, next);
    }
    if (next.kind !== "dir") throw new Error(`nanos manifest: ${guestPath} goes through the file ${part}`);
    node = next;
  }
  const name = parts[parts.length - 1] as string;
  if (node.children.get(name)?.kind === "dir") throw new Error(`nanos manifest: ${guestPath} is a folder`);
  node.children.set(name, { kind: "file", host });
}

/** The manifest ops 0.1.43 would build for this program (see the module comment for the sources). */
export function opsManifest(input: OpsManifestInput): NanosManifest {
  const root: DirNode = { kind: "dir", children: new Map() };
  const program = `/${input.program
    .split("/")
    .filter((p, i) => !(i === 0 && p === ".") && p !== "")
    .join("/")}`;
  if (input.common.libnssDns) addFile(root, OPS_COMMON_FILES.libnssDns, input.common.libnssDns);
  if (input.common.caCertificates) addFile(root, OPS_COMMON_FILES.caCertificates, input.common.caCertificates);
  addFile(root, program, input.program);
  for (const [guest, host] of [
    ["/etc/resolv.conf", input.generated["/etc/resolv.conf"]],
    ["/proc/sys/kernel/hostname", input.generated["/proc/sys/kernel/hostname"]],
    ["/etc/passwd", input.generated["/etc/passwd"]],
  ] as const) {
    addFile(root, guest, host);
  }
  for (const file of input.files) addFile(root, `/${file.name}`, file.hostPath);
  for (const library of input.libraries) addFile(root, library, library);
  const environment: [string, string][] = [
    ["USER", "root"],
    ["PWD", "/"],
    ["OPS_VERSION", input.opsVersion],
    ["NANOS_VERSION", input.nanosVersion],
    ["NANOS_ARCH", "amd64"],
    ["IMAGE_NAME", input.imageName],
    ...Object.entries(input.env),
  ];
  if (input.ports.length > 0) environment.push(["OPS_PORT", input.ports.join(",")]);
  return { root, program, arguments: [input.program, ...input.args], environment };
}

/** A Nanos tuple string: always quoted, so no character of a path or value can end it (tuple_parser.c). */
export function nanosString(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** One environment entry as the manifest writes it: `"NAME":"value"`. */
export function nanosEnvEntry(name: string, value: string): string {
  return `${nanosString(name)}:${nanosString(value)}`;
}

function renderDir(dir: DirNode, indent: string): string {
  const lines = [...dir.children.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, node]) =>
      node.kind === "file"
        ? `${indent}${nanosString(name)}:(contents:(host:${nanosString(node.host)}))`
        : `${indent}${nanosString(name)}:(children:(\n${renderDir(node, `${indent}  `)}\n${indent}))`,
    );
  return lines.join("\n");
}

/**
 * The manifest's text up to its open environment tuple: `environment` comes last, so an instance
 * adds its own variables by appending entries and closing it (closeManifest).
 */
export function renderManifestPrefix(manifest: NanosManifest): string {
  return [
    "(",
    "  children:(",
    renderDir(manifest.root, "    "),
    "  )",
    `  program:${nanosString(manifest.program)}`,
    `  arguments:[${manifest.arguments.map(nanosString).join(" ")}]`,
    `  environment:(${manifest.environment.map(([name, value]) => nanosEnvEntry(name, value)).join(" ")}`,
  ].join("\n");
}

/** What ends a manifest after its prefix and any added environment entries. */
export const MANIFEST_END = ")\n)\n";

/** The whole manifest, with `extraEnvironment` after ops' own variables. */
export function renderManifest(
  manifest: NanosManifest,
  extraEnvironment: Readonly<Record<string, string>> = {},
): string {
  const extra = Object.entries(extraEnvironment).map(([name, value]) => ` ${nanosEnvEntry(name, value)}`);
  return `${renderManifestPrefix(manifest)}${extra.join("")}${MANIFEST_END}`;
}
