/**
 * The time-to-ready harness's own floor: the TTR it reports for an instance that is serving
 * before its launch command runs. Measured through the same start script, stamp and probe as
 * every platform, and recorded with each run, so a TTR close to it says "as fast as the lab can
 * see", not "this fast".
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "simple-statistics";
import { sh, shellCode } from "../../core/shell";
import { binaryRecipe } from "../../workloads/artifacts/recipes";
import { LAUNCH_STAMP_LINE } from "../clock";
import { adHocContext } from "../platforms/context";
import { launchInstance } from "../platforms/instance";
import { scriptHead } from "../platforms/shell";
import type { Platform } from "../platforms/types";
import { waitForInstance } from "../ready";

export interface HarnessFloor {
  medianMs: number;
  samplesMs: number[];
}

/** A "platform" whose launch command starts nothing: the responder already serves. */
const alreadyServing: Platform = {
  name: "harness-floor",
  description: "an instance that is ready before its launch command: the TTR harness's floor",
  class: { kernel: "linux", isolation: "none" },
  knobs: {},
  sharedKnobs: [],
  artifact: binaryRecipe,
  ports: "free",
  startCostS: 0,
  // Probing from the start would catch the responder before the stamp exists: probe once the
  // launch command has returned, so the floor is stamp -> script end -> one probe's round trip.
  probeDuringStart: false,
  checkAvailability: async () => ({ ok: true, facts: {} }),
  scripts: (ctx) => ({
    prepare: scriptHead("harness floor prepare", ctx.workDir).text,
    start: sh`${scriptHead("harness floor start", ctx.workDir)}${shellCode(LAUNCH_STAMP_LINE)}
echo ${process.pid} > instance.pid
`.text,
    stop: sh`${scriptHead("harness floor stop", ctx.workDir)}echo '{"exitCode":0,"signal":null,"oomKilled":false}' > exit.json
`.text,
    cleanup: sh`${scriptHead("harness floor cleanup", ctx.workDir)}exit 0
`.text,
  }),
};

export async function measureHarnessFloor(launches = 7): Promise<HarnessFloor> {
  const server = http.createServer((_request, response) => response.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const workRoot = mkdtempSync(join(tmpdir(), "edgelab-floor-"));
  const samplesMs: number[] = [];
  try {
    for (let i = 0; i < launches; i++) {
      const workDir = join(workRoot, String(i));
      mkdirSync(workDir);
      const ctx = await adHocContext({
        platform: alreadyServing,
        runtime: "go",
        artifact: "",
        hostPort: port,
        workDir,
      });
      const instance = await launchInstance(alreadyServing, ctx);
      const ready = await waitForInstance(instance, "/", 10_000);
      await instance.stop();
      samplesMs.push(Math.round(ready.elapsedMs * 1000) / 1000);
    }
  } finally {
    server.close();
    rmSync(workRoot, { recursive: true, force: true });
  }
  return { medianMs: median(samplesMs), samplesMs };
}
