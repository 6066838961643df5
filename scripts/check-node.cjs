// Fails fast, with one line, when the Node.js running the project is older than package.json's
// `engines.node`. It runs before anything else (the install script, and npm's preinstall, pretest,
// prelab and prereport hooks), so it is plain CommonJS that any Node since 8 can parse: it must be
// able to complain on the very Node it rejects.
"use strict";
// biome-ignore lint/style/useNodejsImportProtocol: "node:fs" does not load on Node before 14.18
const fs = require("fs");
// biome-ignore lint/style/useNodejsImportProtocol: "node:path" does not load on Node before 14.18
const path = require("path");

const range = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")).engines.node;
// Only the form the project uses: ">=MAJOR[.MINOR[.PATCH]]".
const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range);
if (!match) {
  console.error(`check-node: package.json engines.node is ${JSON.stringify(range)}; allowed: >=MAJOR[.MINOR[.PATCH]]`);
  process.exit(2);
}
/** MAJOR.MINOR.PATCH as one comparable number (no part of a Node version reaches 1000). */
const score = (/** @type {(string | undefined)[]} */ parts) =>
  parts.slice(0, 3).reduce((sum, part, i) => sum + Number(part || 0) * 1000 ** (2 - i), 0);

if (score(process.versions.node.split(".")) < score(match.slice(1))) {
  console.error(
    `edge-lab needs Node.js ${range} (package.json engines); this is Node ${process.versions.node} at ${process.execPath}: run \`bash scripts/install-system.sh\` as root (it installs the pinned Node), then retry`,
  );
  process.exit(1);
}
