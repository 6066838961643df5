// @ts-check
// A third app for the lab's tests: a runtime and a workload the lab does not ship, added in files
// of their own (runtime.ts beside this file). It serves the probe and the contract's /io and
// /compute, /info, and its own workload /hello; it runs on the Node that runs the lab.

const http = require("node:http");
const crypto = require("node:crypto");
const os = require("node:os");

const startedAt = Date.now();

/** @param {Buffer} payload */
function chainedSha256(payload) {
  let digest = payload;
  for (let i = 0; i < 100; i++) digest = crypto.createHash("sha256").update(digest).digest();
  return digest.toString("hex");
}

const server = http.createServer((request, response) => {
  const path = (request.url ?? "/").split("?")[0];
  if (request.method !== "GET") {
    response.writeHead(405).end();
  } else if (path === "/io") {
    response.end("ok\n");
  } else if (path === "/hello") {
    response.end("hello\n");
  } else if (path === "/compute") {
    response.end(`${chainedSha256(Buffer.from("unikernels-vs-containers:compute"))}\n`);
  } else if (path === "/info") {
    response.setHeader("Content-Type", "application/json");
    response.end(
      JSON.stringify({
        runtime: "script",
        version: process.version,
        pid: process.pid,
        uptimeMs: Date.now() - startedAt,
        cpu: { seen: os.availableParallelism(), cgroupQuotaCpus: null },
        gomaxprocs: null,
        v8HeapLimitBytes: null,
        memory: { totalBytes: os.totalmem(), cgroupVersion: null, cgroupLimitBytes: null },
      }),
    );
  } else {
    response.writeHead(404).end();
  }
});

server.listen(Number(process.env.PORT ?? 8080), () => {
  process.stdout.write(`${JSON.stringify({ event: "ready", runtime: "script", time: new Date().toISOString() })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
