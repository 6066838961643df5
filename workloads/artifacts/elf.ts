import { closeSync, openSync, readSync } from "node:fs";

/** Nanos 0.1.54's ELF loader maps only the first page of a program to find its program headers. */
export const NANOS_ELF_FIRST_PAGE = 4096;

export interface ElfProgramHeaders {
  /** e_phoff: where the program header table starts, in bytes from the start of the file. */
  offset: number;
  /** e_phentsize x e_phnum. */
  size: number;
  /** offset + size: the table must end within the first page for Nanos to load the program. */
  end: number;
}

/** The program header table's place in a 64-bit little-endian ELF file (x86-64, as the lab builds). */
export function elfProgramHeaders(header: Buffer): ElfProgramHeaders {
  if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46) throw new Error("not an ELF file");
  if (header[4] !== 2 || header[5] !== 1) throw new Error("not a 64-bit little-endian ELF file");
  const offset = Number(header.readBigUInt64LE(0x20));
  const size = header.readUInt16LE(0x36) * header.readUInt16LE(0x38);
  return { offset, size, end: offset + size };
}

export function readElfProgramHeaders(path: string): ElfProgramHeaders {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(64);
    const read = readSync(fd, header, 0, 64, 0);
    return elfProgramHeaders(header.subarray(0, read));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses a program Nanos cannot load. ops packs it without complaint and the guest then stops
 * at boot with "elf load: failed to parse file, len 4096"; a postject single executable is one
 * (its headers sit about 52 MB into the file).
 */
export function assertElfHeadersInFirstPage(path: string): void {
  const headers = readElfProgramHeaders(path);
  if (headers.end > NANOS_ELF_FIRST_PAGE) {
    throw new Error(
      `${path}: its program headers end at byte ${headers.end} (e_phoff ${headers.offset} + ${headers.size}), ` +
        `beyond the first ${NANOS_ELF_FIRST_PAGE} bytes that Nanos reads: Nanos cannot load it`,
    );
  }
}
