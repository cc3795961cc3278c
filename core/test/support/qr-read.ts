// Reads a QR code (ISO/IEC 18004, model 2, byte mode) back to its text, for the web UI's end-to-end
// tests: the page draws the code as SVG and a test reads its modules back with this. It shares no
// code with the UI's encoder (ui/src/lib/qr-code.ts) and needs no table of block structures: it
// finds the split of codewords into blocks that makes every block a valid Reed–Solomon codeword
// with the most error-correction codewords (a wrong split, placement, mask or remainder leaves a
// non-zero syndrome). The steps follow the
// standard as Thonky's public QR Code Tutorial describes them, as ui/src/lib/qr-code.spec.ts does.

export interface QrReading {
  text: string;
  version: number;
  level: 'L' | 'M' | 'Q' | 'H';
  mask: number;
  blocks: number;
  ecPerBlock: number;
}

const LEVEL_OF_BITS = { 0b01: 'L', 0b00: 'M', 0b11: 'Q', 0b10: 'H' } as const;

/** GF(256) over x^8 + x^4 + x^3 + x^2 + 1 (0x11D), the field QR codes use. */
const GF = (() => {
  const exp: number[] = [];
  const log: number[] = new Array<number>(256).fill(0);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp.push(x);
    log[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  return { exp, mul: (a: number, b: number): number => (a && b ? exp[(log[a]! + log[b]!) % 255]! : 0) };
})();

/** True when c0·x^(n−1) + … + c(n−1) vanishes at α^0 … α^(count−1): a valid RS codeword. */
function syndromesZero(block: readonly number[], count: number): boolean {
  for (let i = 0; i < count; i++) {
    let acc = 0;
    for (const codeword of block) acc = GF.mul(acc, GF.exp[i]!) ^ codeword;
    if (acc !== 0) return false;
  }
  return true;
}

/**
 * Alignment pattern centres of a version: 6, then evenly spaced (an even step) up to size − 7,
 * floor(version / 7) + 2 of them; version 32's step is 26 (ISO 18004 annex E).
 */
function alignmentCentres(version: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const last = 4 * version + 10;
  const step = version === 32 ? 26 : Math.ceil((last - 6) / (count - 1) / 2) * 2;
  const centres = [6];
  for (let i = 0; i < count - 1; i++) centres.push(last - i * step);
  return centres.sort((a, b) => a - b);
}

/** Which modules belong to function patterns (finders, separators, timing, alignment, format, version). */
function functionModules(version: number): boolean[][] {
  const size = 17 + 4 * version;
  const map = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  const mark = (r0: number, c0: number, rows: number, cols: number): void => {
    for (let r = r0; r < r0 + rows; r++) for (let c = c0; c < c0 + cols; c++) map[r]![c] = true;
  };
  mark(0, 0, 9, 9);
  mark(0, size - 8, 9, 8);
  mark(size - 8, 0, 8, 9);
  mark(6, 0, 1, size);
  mark(0, 6, size, 1);
  const centres = alignmentCentres(version);
  for (const r of centres)
    for (const c of centres) {
      const onFinder = (r === 6 && c === 6) || (r === 6 && c === size - 7) || (r === size - 7 && c === 6);
      if (!onFinder) mark(r - 2, c - 2, 5, 5);
    }
  if (version >= 7) {
    mark(0, size - 11, 6, 3);
    mark(size - 11, 0, 3, 6);
  }
  return map;
}

/** The format information (level, mask) from both copies, which must agree and be a valid BCH word. */
function readFormat(modules: readonly (readonly boolean[])[]): { level: QrReading['level']; mask: number } {
  const n = modules.length;
  const first: Array<[number, number]> = [
    ...[0, 1, 2, 3, 4, 5, 7, 8].map((c): [number, number] => [8, c]),
    ...[7, 5, 4, 3, 2, 1, 0].map((r): [number, number] => [r, 8]),
  ];
  const second: Array<[number, number]> = [
    ...[1, 2, 3, 4, 5, 6, 7].map((k): [number, number] => [n - k, 8]),
    ...[8, 7, 6, 5, 4, 3, 2, 1].map((k): [number, number] => [8, n - k]),
  ];
  const value = (cells: Array<[number, number]>): number =>
    cells.reduce((acc, [r, c]) => (acc << 1) | (modules[r]![c] ? 1 : 0), 0);
  const copy1 = value(first);
  if (value(second) !== copy1) throw new Error('the two copies of the format information differ');
  for (let data = 0; data < 32; data++) {
    let rem = data << 10;
    for (let bit = 14; bit >= 10; bit--) if (rem & (1 << bit)) rem ^= 0b10100110111 << (bit - 10);
    if ((((data << 10) | rem) ^ 0b101010000010010) === copy1) {
      return { level: LEVEL_OF_BITS[(data >> 3) as keyof typeof LEVEL_OF_BITS], mask: data & 7 };
    }
  }
  throw new Error('the format information is no valid format string');
}

const MASKS: Array<(i: number, j: number) => boolean> = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i * j) % 3) + ((i + j) % 2)) % 2 === 0,
];

/** The codewords in placement order: two-column zigzag from the bottom right, unmasked. */
function readCodewords(modules: readonly (readonly boolean[])[], version: number, mask: number): number[] {
  const size = modules.length;
  const reserved = functionModules(version);
  const bits: number[] = [];
  let goingUp = true;
  for (let col = size - 1; col > 0; col -= 2) {
    if (col === 6) col--;
    for (let k = 0; k < size; k++) {
      const row = goingUp ? size - 1 - k : k;
      for (const c of [col, col - 1]) {
        if (reserved[row]![c]) continue;
        bits.push((modules[row]![c] ? 1 : 0) ^ (MASKS[mask]!(row, c) ? 1 : 0));
      }
    }
    goingUp = !goingUp;
  }
  const codewords: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8)
    codewords.push(bits.slice(i, i + 8).reduce((acc, bit) => (acc << 1) | bit, 0));
  return codewords;
}

/** Splits interleaved codewords into `blocks` blocks (the longer ones last) of data + `ec` EC codewords. */
function deinterleave(codewords: readonly number[], blocks: number, ec: number): number[][] | undefined {
  const dataTotal = codewords.length - blocks * ec;
  const short = Math.floor(dataTotal / blocks);
  if (short < 1) return undefined;
  const longer = dataTotal % blocks;
  const lengths = Array.from({ length: blocks }, (_, b) => short + (b >= blocks - longer ? 1 : 0));
  const out = lengths.map(() => [] as number[]);
  let at = 0;
  for (let i = 0; i <= short; i++)
    lengths.forEach((length, b) => i < length && out[b]!.push(codewords[at++]!));
  for (let i = 0; i < ec; i++) for (const block of out) block.push(codewords[at++]!);
  return out;
}

/** Reads a symbol's modules (`modules[row][col]`, true = dark, no quiet zone) back to its text. */
export function readQr(modules: readonly (readonly boolean[])[]): QrReading {
  const size = modules.length;
  const version = (size - 17) / 4;
  if (!Number.isInteger(version) || version < 1 || version > 40) {
    throw new Error(`${size} modules a side is no QR symbol size (21, 25, … 177)`);
  }
  const { level, mask } = readFormat(modules);
  const codewords = readCodewords(modules, version, mask);
  // Most EC codewords first: a valid codeword with n of them also has zero syndromes for fewer.
  for (let ec = 30; ec >= 7; ec--) {
    for (let blocks = 1; blocks <= 81; blocks++) {
      const split = deinterleave(codewords, blocks, ec);
      if (!split?.every((block) => syndromesZero(block, ec))) continue;
      const data = split.flatMap((block) => block.slice(0, block.length - ec));
      const stream = data.map((c) => c.toString(2).padStart(8, '0')).join('');
      if (stream.slice(0, 4) !== '0100') throw new Error(`mode ${stream.slice(0, 4)} is not byte mode`);
      const countLength = version <= 9 ? 8 : 16;
      const count = parseInt(stream.slice(4, 4 + countLength), 2);
      const bytes = Uint8Array.from({ length: count }, (_, i) =>
        parseInt(stream.slice(4 + countLength + i * 8, 12 + countLength + i * 8), 2),
      );
      return { text: new TextDecoder().decode(bytes), version, level, mask, blocks, ecPerBlock: ec };
    }
  }
  throw new Error('no split of the codewords into blocks gives valid Reed–Solomon codewords');
}
