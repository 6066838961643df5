import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { assertElfHeadersInFirstPage, elfProgramHeaders } from "./elf";

/** A 64-bit little-endian ELF header with the program header table where we say. */
function elfHeader(phoff: bigint, phentsize: number, phnum: number): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // ELFCLASS64
  header[5] = 1; // little-endian
  header.writeBigUInt64LE(phoff, 0x20);
  header.writeUInt16LE(phentsize, 0x36);
  header.writeUInt16LE(phnum, 0x38);
  return header;
}

const dir = mkdtempSync(join(tmpdir(), "elf-"));
function file(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe("ELF program headers for Nanos", () => {
  it("read e_phoff, e_phentsize and e_phnum", () => {
    assert.deepEqual(elfProgramHeaders(elfHeader(64n, 56, 6)), { offset: 64, size: 336, end: 400 });
  });

  it("accept a table that ends exactly at the first page", () => {
    assert.doesNotThrow(() => assertElfHeadersInFirstPage(file("edge.elf", elfHeader(4096n - 56n * 4n, 56, 4))));
  });

  it("refuse a table one byte past it, as postject leaves a Node single executable", () => {
    assert.throws(
      () => assertElfHeadersInFirstPage(file("past.elf", elfHeader(4096n - 56n * 4n + 1n, 56, 4))),
      /end at byte 4097 .*Nanos cannot load it/,
    );
    assert.throws(
      () => assertElfHeadersInFirstPage(file("sea.elf", elfHeader(51_900_000n, 56, 13))),
      /e_phoff 51900000/,
    );
  });

  it("refuse what is not a 64-bit little-endian ELF, naming the file", () => {
    const script = file("script.sh", Buffer.from("#!/bin/sh\necho hi\n".padEnd(64, " ")));
    assert.throws(() => assertElfHeadersInFirstPage(script), /script\.sh: not an ELF file/);
    const big = elfHeader(64n, 56, 1);
    big[5] = 2;
    assert.throws(() => assertElfHeadersInFirstPage(file("be.elf", big)), /not a 64-bit little-endian/);
  });
});
