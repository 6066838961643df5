import { parseFlags, parseList, runMain } from "../../lab/cli/args";
import { DEFAULT_REVISION_ID, loadRevision } from "../../lab/config/revision";
import { RUNTIMES } from "../../lab/model";
import { ARTIFACT_KINDS, type ArtifactKind, buildArtifacts } from "./build";

const DEFAULT_KINDS: ArtifactKind[] = ["binary", "docker-offline", "nanos"];

const usage = `usage: npm run build:artifacts -- [--revision ID|FILE] [--runtime go,node] [--kind ${ARTIFACT_KINDS.join(",")}]
  default kinds: ${DEFAULT_KINDS.join(",")} (docker-paper needs a reachable registry)`;

function parseCommandLine() {
  return parseFlags(
    {
      revision: { type: "string", default: DEFAULT_REVISION_ID },
      runtime: { type: "string" },
      kind: { type: "string", default: DEFAULT_KINDS.join(",") },
      help: { type: "boolean", short: "h", default: false },
    },
    usage,
  );
}

runMain(async () => {
  const values = parseCommandLine();
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const manifest = await buildArtifacts({
    revision: loadRevision(values.revision),
    runtimes: parseList("runtime", values.runtime, RUNTIMES),
    kinds: parseList("kind", values.kind, ARTIFACT_KINDS),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  for (const a of manifest.artifacts) {
    const size = a.size ? `${(a.size.apparentBytes / 1e6).toFixed(1)} MB` : "-";
    process.stdout.write(
      `${a.runtime.padEnd(5)} ${a.kind.padEnd(15)} ${a.status.padEnd(11)} ${size.padStart(9)}  ${a.ref}\n`,
    );
    for (const note of a.notes) process.stdout.write(`      note: ${note}\n`);
  }
});
