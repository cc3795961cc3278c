// Reads the program interpreter (PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2) an ELF executable
// asks for, so the build can check the image really has it: a dynamic bitcoind on a base without
// its loader fails only when a node starts it ("no such file or directory"), far from the cause.

import { open } from 'node:fs/promises';

const PT_INTERP = 3;

/**
 * The interpreter path of a 64-bit little-endian ELF file, or undefined when it is static.
 * Throws when the file is not such an ELF file.
 */
export async function elfInterpreter(path: string): Promise<string | undefined> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    await file.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF executable`);
    if (header[4] !== 2 || header[5] !== 1)
      throw new Error(`${path} is not a 64-bit little-endian ELF executable`);
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    await file.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const entry = i * phentsize;
      if (table.readUInt32LE(entry) !== PT_INTERP) continue;
      const offset = Number(table.readBigUInt64LE(entry + 0x08));
      const size = Number(table.readBigUInt64LE(entry + 0x20));
      const name = Buffer.alloc(Math.min(size, 4096));
      await file.read(name, 0, name.length, offset);
      return name.toString('utf8').replace(/\0.*$/s, '');
    }
    return undefined;
  } finally {
    await file.close();
  }
}
