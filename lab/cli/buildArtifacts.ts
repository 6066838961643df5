import { parseFlags, parseList, runMain } from "../../core/cli/args";
import { DEFAULT_REVISION_ID } from "../../core/config/revision";
import { buildArtifacts } from "../../workloads/artifacts/build";
import { runtimeNames } from "../../workloads/runtimes/registry";
import { loadRevision } from "../config/revision";
import { allPlatforms, artifactRecipes, recipesOf } from "../platforms/registry";

/** What the platforms run; docker-paper needs a reachable registry and is built only when asked for. */
const defaultKinds = () => [...new Set(allPlatforms().map((p) => p.artifact.kind))];

const usage =
  () => `usage: npm run build:artifacts -- [--revision ID|FILE] [--runtime go,node] [--kind ${artifactRecipes()
    .map((r) => r.kind)
    .join(",")}]
  default kinds: ${defaultKinds().join(",")} (docker-paper needs a reachable registry)`;

function parseCommandLine() {
  return parseFlags(
    {
      revision: { type: "string", default: DEFAULT_REVISION_ID },
      runtime: { type: "string" },
      kind: { type: "string", default: defaultKinds().join(",") },
      help: { type: "boolean", short: "h", default: false },
    },
    usage(),
  );
}

runMain(async () => {
  const values = parseCommandLine();
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const kinds = parseList(
    "kind",
    values.kind,
    artifactRecipes().map((r) => r.kind),
  );
  const manifest = await buildArtifacts({
    revision: loadRevision(values.revision),
    runtimes: parseList("runtime", values.runtime, runtimeNames()),
    recipes: recipesOf(kinds),
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
