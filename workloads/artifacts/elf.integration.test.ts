/**
 * Every ELF the lab hands to ops passes the check Nanos's loader needs, and the Node single
 * executable (which Nanos cannot load) fails it: built for real, as the Nanos recipe builds them.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readRevision } from "../../core/config/revision";
import { goSkip } from "../../core/testing/requirements";
import { getRuntime } from "../runtimes/registry";
import { buildInputs } from "./build";
import { assertElfHeadersInFirstPage, NANOS_ELF_FIRST_PAGE, readElfProgramHeaders } from "./elf";

const inputs = buildInputs(readRevision(), mkdtempSync(join(tmpdir(), "elf-it-")));

describe("the programs the Nanos recipe packs", { timeout: 600_000 }, () => {
  it("the static Go app and the official node binary have their headers in the first page", async (t) => {
    const skip = await goSkip();
    if (skip) return t.skip(skip);
    for (const runtime of ["go", "node"]) {
      const program = await getRuntime(runtime).nanosProgram?.(inputs);
      if (!program) throw new Error(`${runtime} has no Nanos program`);
      assert.doesNotThrow(() => assertElfHeadersInFirstPage(program.path), `${runtime}: ${program.path}`);
      assert.ok(readElfProgramHeaders(program.path).end <= NANOS_ELF_FIRST_PAGE);
    }
  });

  it("the Node single executable does not, so it is never handed to ops", async () => {
    const sea = await getRuntime("node").executable(inputs);
    const headers = readElfProgramHeaders(sea.path);
    assert.ok(headers.offset > 1_000_000, `postject moved the headers to byte ${headers.offset}`);
    assert.throws(() => assertElfHeadersInFirstPage(sea.path), /Nanos cannot load it/);
  });
});
