/**
 * Node.js: the JIT runtime. The app (app.js: `node:http` only) runs on the revision's pinned
 * official Node: as a single executable natively, as `node app.js` elsewhere. V8's heap size is
 * its one knob.
 */
import { join } from "node:path";
import type { Revision } from "../../core/config/revision";
import { APP_PORT } from "../../core/model";
import { repoRoot } from "../../core/paths";
import type { BuildInputs } from "../artifacts/build";
import { type ImageSpec, imageLabels, imageTag } from "../artifacts/dockerImages";
import { ensurePinnedNode } from "../artifacts/nodeRuntime";
import { buildNodeSea } from "../artifacts/nodeSea";
import { assembleNodeRootfs } from "../artifacts/rootfs";
import type { RuntimeDescriptor } from "../runtimes/types";

export const nodeAppScript = join(repoRoot, "workloads", "node", "app.js");

/** The share of the memory limit `nodeHeap: fit` gives V8's old space. */
export const NODE_HEAP_FIT_SHARE = 0.75;

const pinnedNode = (inputs: BuildInputs) => inputs.once("node", () => ensurePinnedNode(inputs.revision));

/** Section IV-A: the app on the official Alpine Node image, pinned to the revision's Node. */
function paperImage(revision: Revision): ImageSpec {
  const dockerfile = `# Built as in the paper (section IV-A): the app on ${revision.images.nodeRuntime}.
FROM ${revision.images.nodeRuntime}
${imageLabels("node", "paper", revision)}
WORKDIR /app
COPY app.js ./
ENV PORT=${APP_PORT}
EXPOSE ${APP_PORT}
# node as PID 1 directly: the app handles SIGTERM itself, so docker stop is prompt.
ENTRYPOINT ["node", "/app/app.js"]
`;
  return {
    runtime: "node",
    flavor: "paper",
    tag: imageTag("node", "paper", revision),
    dockerfile,
    context: [{ dest: "app.js", source: nodeAppScript }],
  };
}

/**
 * What ops packs: the official `node` binary with app.js as its argument, never the single
 * executable: Nanos 0.1.54 looks for a program's headers in its first 4 KiB only, and postject
 * moves the SEA's about 52 MB in (see ../artifacts/elf.ts).
 */
const nanosProgramOf = (nodeBinary: string, appScript: string) => ({
  path: nodeBinary,
  args: ["app.js"],
  files: [appScript],
});

export const nodeRuntime: RuntimeDescriptor = {
  name: "node",
  description: "Node.js, JIT-compiled: the pinned official binary running app.js (node:http only)",
  pinnedVersion: (revision) => revision.versions.node,
  knobs: {
    nodeHeap: {
      values: ["default", "fit"],
      default: "default",
      description:
        "default: V8 sizes its heap (about 259 MiB at any limit below 300 MB); fit: --max-old-space-size at three quarters of the memory limit",
    },
  },
  environment(knobs, resources): Record<string, string> {
    if (knobs.nodeHeap !== "fit") return {};
    const megabytes = Math.max(8, Math.floor(resources.memoryMB * NODE_HEAP_FIT_SHARE));
    return { NODE_OPTIONS: `--max-old-space-size=${megabytes}` };
  },
  infoProblems: (info) =>
    Number(info.v8HeapLimitBytes) > 0 ? [] : [`/info v8HeapLimitBytes = ${info.v8HeapLimitBytes}`],
  async executable(inputs) {
    const sea = await inputs.once("node-sea", async () =>
      buildNodeSea(await pinnedNode(inputs), nodeAppScript, join(inputs.outDir, "bin")),
    );
    return {
      path: sea.path,
      builtWith: { node: sea.nodeVersion },
      notes: ["Node single executable application (SEA) of the official binary; the paper used pkg"],
    };
  },
  async rootfs(inputs, stagingDir) {
    const node = await pinnedNode(inputs);
    const rootfs = await assembleNodeRootfs(node.path, nodeAppScript, stagingDir);
    return {
      tree: { dir: rootfs.dir, files: rootfs.files.map((f) => f.path), command: rootfs.entrypoint },
      builtWith: { node: node.version },
      notes: [`node ${node.version} and ${rootfs.files.length - 2} shared libraries from this machine`],
    };
  },
  paperImage,
  nanosProgram: async (inputs) => nanosProgramOf((await pinnedNode(inputs)).path, nodeAppScript),
  onSut: (revision, labDir) => ({
    toolchain: `node ${revision.versions.node}`,
    binary: `${labDir}/bin/edgeapp-node`,
    dockerBase: revision.images.nodeRuntime,
    nanosProgram: nanosProgramOf(`${labDir}/bin/node`, `${labDir}/workloads/node/app.js`),
  }),
};
