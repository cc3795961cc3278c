// The one file in a tar stream as libpod's archive endpoint sends it (`GET
// /containers/{id}/archive?path=...` answers a tar of that path). Only what that answer holds is
// read: ustar headers, octal sizes, and the PAX or GNU long-name records Go's tar writer may put
// before an entry. Anything else is "not a regular file", never a guess.

const BLOCK = 512;
// Records that describe the next entry rather than being one.
const META_TYPES = new Set(['x', 'g', 'L', 'K']);

export type TarFile =
  | { kind: 'file'; name: string; content: Buffer }
  | { kind: 'other'; name: string; type: string }
  | { kind: 'malformed'; reason: string };

const field = (header: Buffer, start: number, length: number): string =>
  header
    .subarray(start, start + length)
    .toString('latin1')
    .replace(/\0.*$/s, '');

/** The first entry of `tar` that is not a metadata record. */
export function firstTarFile(tar: Buffer): TarFile {
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > tar.length) return { kind: 'malformed', reason: 'the archive ends before an entry' };
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0))
      return { kind: 'malformed', reason: 'the archive holds no entry' };
    // Base-256 sizes (first byte's high bit set) are for files over 8 GiB: not an account file.
    if ((header[124]! & 0x80) !== 0) return { kind: 'malformed', reason: 'an entry is too large' };
    const sizeText = field(header, 124, 12).trim();
    if (!/^[0-7]+$/.test(sizeText)) return { kind: 'malformed', reason: 'an entry has no readable size' };
    const size = parseInt(sizeText, 8);
    const type = field(header, 156, 1) || '0';
    const name = field(header, 0, 100);
    const start = offset + BLOCK;
    if (start + size > tar.length) return { kind: 'malformed', reason: 'the archive ends inside an entry' };
    if (META_TYPES.has(type)) {
      offset = start + Math.ceil(size / BLOCK) * BLOCK;
      continue;
    }
    // '0' and the old '\0' (read above as '0') are regular files; '7' is a contiguous one.
    if (type === '0' || type === '7')
      return { kind: 'file', name, content: Buffer.from(tar.subarray(start, start + size)) };
    return { kind: 'other', name, type };
  }
}
