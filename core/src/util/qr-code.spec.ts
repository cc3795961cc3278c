import { describe, expect, it } from 'vitest';
import {
  alignmentPositions,
  bchFormat,
  blockLayout,
  bchVersion,
  byteCapacity,
  dataCodewords,
  encodeQr,
  generatorPolynomial,
  interleave,
  penalty,
  QrCapacityError,
  qrPath,
  reedSolomon,
  type ErrorCorrectionLevel,
  type QrCode,
} from './qr-code.js';

// The encoder is checked three ways: against the worked example of Thonky's public QR Code
// Tutorial (its 5-Q message: data codewords, blocks, error-correction codewords), against the
// standard's published facts (format and version strings, alignment positions, capacities), and
// by reading every symbol back with the small decoder below, written from the standard's
// description and sharing no code with the encoder: a misplaced bit, a wrong mask or a wrong
// Reed–Solomon remainder leaves a non-zero syndrome or a different text.

// ---- published facts ---------------------------------------------------------------------------

// Thonky, "Error Correction Coding" / "Structure Final Message": the 5-Q example, 53 bytes in byte
// mode, in 2 blocks of 15 and 2 of 16 data codewords, 18 EC codewords each (block 4's EC list is
// only partly quoted where we read it, so only its first 7 are checked).
const THONKY_TEXT = "There\\'s a frood who really knows where his towel is!";
const THONKY_BLOCKS = [
  [67, 85, 70, 134, 87, 38, 85, 194, 119, 50, 6, 18, 6, 103, 38],
  [246, 246, 66, 7, 118, 134, 242, 7, 38, 86, 22, 198, 199, 146, 6],
  [182, 230, 247, 119, 50, 7, 118, 134, 87, 38, 82, 6, 134, 151, 50, 7],
  [70, 247, 118, 86, 194, 6, 151, 50, 16, 236, 17, 236, 17, 236, 17, 236],
];
const THONKY_EC = [
  [213, 199, 11, 45, 115, 247, 241, 223, 229, 248, 154, 117, 154, 111, 86, 161, 111, 39],
  [87, 204, 96, 60, 202, 182, 124, 157, 200, 134, 27, 129, 209, 17, 163, 163, 120, 133],
  [148, 116, 177, 212, 76, 133, 75, 242, 238, 76, 195, 230, 189, 10, 108, 240, 192, 141],
  [235, 159, 5, 173, 24, 147, 59],
];

/** Alignment pattern centres, ISO 18004 annex E table E.1 (Thonky "Alignment Pattern Locations"). */
const ALIGNMENT_TABLE: Record<number, number[]> = {
  1: [],
  2: [6, 18],
  7: [6, 22, 38],
  14: [6, 26, 46, 66],
  15: [6, 26, 48, 70],
  16: [6, 26, 50, 74],
  27: [6, 34, 62, 90, 118],
  32: [6, 34, 60, 86, 112, 138],
  33: [6, 30, 58, 86, 114, 142],
  36: [6, 24, 50, 76, 102, 128, 154],
  40: [6, 30, 58, 86, 114, 142, 170],
};

/**
 * Block structure by version-level, ISO 18004 table 9 (Thonky "Error Correction Code Words and
 * Block Information"): EC codewords per block, then [blocks, data codewords each] per group.
 */
const BLOCK_TABLE: Record<string, { ec: number; groups: Array<[number, number]> }> = {
  '1-L': { ec: 7, groups: [[1, 19]] },
  '1-M': { ec: 10, groups: [[1, 16]] },
  '1-Q': { ec: 13, groups: [[1, 13]] },
  '1-H': { ec: 17, groups: [[1, 9]] },
  '2-M': { ec: 16, groups: [[1, 28]] },
  '3-M': { ec: 26, groups: [[1, 44]] },
  '5-Q': {
    ec: 18,
    groups: [
      [2, 15],
      [2, 16],
    ],
  },
  '6-M': { ec: 16, groups: [[4, 27]] },
  '7-H': {
    ec: 26,
    groups: [
      [4, 13],
      [1, 14],
    ],
  },
  '10-M': {
    ec: 26,
    groups: [
      [4, 43],
      [1, 44],
    ],
  },
  '40-L': {
    ec: 30,
    groups: [
      [19, 118],
      [6, 119],
    ],
  },
  '40-H': {
    ec: 30,
    groups: [
      [20, 15],
      [61, 16],
    ],
  },
};

// ---- an independent reader ---------------------------------------------------------------------

const LEVEL_OF_BITS: Record<number, ErrorCorrectionLevel> = { 0b01: 'L', 0b00: 'M', 0b11: 'Q', 0b10: 'H' };

/** GF(256) log/antilog over 0x11D, built here again so the reader shares nothing with the encoder. */
const gf = (() => {
  const exp: number[] = [];
  const log: number[] = new Array<number>(256).fill(0);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp.push(x);
    log[x] = i;
    x = x * 2 >= 256 ? (x * 2) ^ 0x11d : x * 2;
  }
  const mul = (a: number, b: number): number => (a && b ? exp[(log[a]! + log[b]!) % 255]! : 0);
  return { exp, mul };
})();

/** The polynomial c0·x^(n−1) + … + c(n−1) at α^i, for i < count: all zero for a valid RS codeword. */
function syndromes(block: number[], count: number): number[] {
  return Array.from({ length: count }, (_, i) =>
    block.reduce((acc, codeword) => gf.mul(acc, gf.exp[i]!) ^ codeword, 0),
  );
}

/** Which modules are function patterns, from the standard's figure 3, for the reader. */
function functionModules(version: number): boolean[][] {
  const size = 17 + 4 * version;
  const map = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  const mark = (r0: number, c0: number, rows: number, cols: number): void => {
    for (let r = r0; r < r0 + rows; r++) for (let c = c0; c < c0 + cols; c++) map[r]![c] = true;
  };
  mark(0, 0, 9, 9); // top-left finder, separator, both format strips
  mark(0, size - 8, 9, 8); // top-right finder, separator, format
  mark(size - 8, 0, 8, 9); // bottom-left finder, separator, format, dark module
  mark(6, 0, 1, size); // horizontal timing
  mark(0, 6, size, 1); // vertical timing
  const centres = ALIGNMENT_TABLE[version] ?? alignmentPositions(version);
  for (const r of centres) {
    for (const c of centres) {
      const onFinder = (r === 6 && c === 6) || (r === 6 && c === size - 7) || (r === size - 7 && c === 6);
      if (!onFinder) mark(r - 2, c - 2, 5, 5);
    }
  }
  if (version >= 7) {
    mark(0, size - 11, 6, 3);
    mark(size - 11, 0, 3, 6);
  }
  return map;
}

function readFormat(code: QrCode): { copy1: number; copy2: number } {
  const m = code.modules;
  const n = code.size;
  // Bit 14 first. Copy 1 runs along row 8 from the left, then up column 8 (figure 25).
  const first: Array<[number, number]> = [
    ...[0, 1, 2, 3, 4, 5, 7, 8].map((c): [number, number] => [8, c]),
    ...[7, 5, 4, 3, 2, 1, 0].map((r): [number, number] => [r, 8]),
  ];
  // Copy 2 runs up column 8 from the bottom (7 bits), then along row 8 to the right edge (8 bits).
  const second: Array<[number, number]> = [
    ...[1, 2, 3, 4, 5, 6, 7].map((k): [number, number] => [n - k, 8]),
    ...[8, 7, 6, 5, 4, 3, 2, 1].map((k): [number, number] => [8, n - k]),
  ];
  const value = (cells: Array<[number, number]>): number =>
    cells.reduce((acc, [r, c]) => (acc << 1) | (m[r]![c] ? 1 : 0), 0);
  return { copy1: value(first), copy2: value(second) };
}

/** Reads a symbol back: format, unmasking, codewords, de-interleaving, RS syndromes, byte mode. */
function decode(
  code: QrCode,
  blocks?: { ec: number; groups: Array<[number, number]> },
): {
  text: string;
  level: ErrorCorrectionLevel;
  mask: number;
  syndromesZero: boolean;
  data: number[];
} {
  const { copy1, copy2 } = readFormat(code);
  expect(copy2).toBe(copy1);
  // The 32 valid format strings, from their definition; the symbol's must be one exactly.
  let format: { level: ErrorCorrectionLevel; mask: number } | undefined;
  for (let data = 0; data < 32; data++) {
    let rem = data << 10;
    for (let bit = 14; bit >= 10; bit--) if (rem & (1 << bit)) rem ^= 0b10100110111 << (bit - 10);
    if ((((data << 10) | rem) ^ 0b101010000010010) === copy1) {
      format = { level: LEVEL_OF_BITS[data >> 3]!, mask: data & 7 };
    }
  }
  expect(format, 'a valid format string').toBeDefined();
  const { level, mask } = format!;
  const size = code.size;
  const version = (size - 17) / 4;
  const reserved = functionModules(version);
  const flips: Array<(i: number, j: number) => boolean> = [
    (i, j) => (i + j) % 2 === 0,
    (i) => i % 2 === 0,
    (_, j) => j % 3 === 0,
    (i, j) => (i + j) % 3 === 0,
    (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
    (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
    (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
    (i, j) => (((i * j) % 3) + ((i + j) % 2)) % 2 === 0,
  ];
  const bits: number[] = [];
  let col = size - 1;
  let goingUp = true;
  while (col > 0) {
    if (col === 6) col--;
    for (let k = 0; k < size; k++) {
      const row = goingUp ? size - 1 - k : k;
      for (const c of [col, col - 1]) {
        if (reserved[row]![c]) continue;
        bits.push((code.modules[row]![c] ? 1 : 0) ^ (flips[mask]!(row, c) ? 1 : 0));
      }
    }
    goingUp = !goingUp;
    col -= 2;
  }
  const totalCodewords = Math.floor(bits.length / 8);
  const codewords: number[] = [];
  for (let i = 0; i < totalCodewords; i++) {
    codewords.push(bits.slice(i * 8, i * 8 + 8).reduce((acc, b) => (acc << 1) | b, 0));
  }

  const layout = blocks ?? BLOCK_TABLE[`${version}-${level}`];
  if (!layout) throw new Error(`the reader's table lacks ${version}-${level}`);
  const lengths = layout.groups.flatMap(([count, length]) => new Array<number>(count).fill(length));
  expect(lengths.reduce((a, b) => a + b, 0) + lengths.length * layout.ec).toBe(totalCodewords);
  const dataBlocks = lengths.map(() => [] as number[]);
  let at = 0;
  for (let i = 0; i < Math.max(...lengths); i++) {
    lengths.forEach((length, b) => {
      if (i < length) dataBlocks[b]!.push(codewords[at++]!);
    });
  }
  const ecBlocks = lengths.map(() => [] as number[]);
  for (let i = 0; i < layout.ec; i++) for (const ec of ecBlocks) ec.push(codewords[at++]!);
  const syndromesZero = dataBlocks.every((data, b) =>
    syndromes([...data, ...ecBlocks[b]!], layout.ec).every((s) => s === 0),
  );

  const data = dataBlocks.flat();
  const stream = data.map((c) => c.toString(2).padStart(8, '0')).join('');
  expect(stream.slice(0, 4), 'byte mode').toBe('0100');
  const countLength = version <= 9 ? 8 : 16;
  const count = parseInt(stream.slice(4, 4 + countLength), 2);
  const bytes = Uint8Array.from({ length: count }, (_, i) =>
    parseInt(stream.slice(4 + countLength + i * 8, 12 + countLength + i * 8), 2),
  );
  return { text: new TextDecoder().decode(bytes), level, mask, syndromesZero, data };
}

/** A text of exactly `length` bytes. */
const textOf = (length: number): string =>
  Array.from({ length }, (_, i) => 'lndconnect://node.local:10009?cert=MIIC&macaroon=AgED'[i % 52]).join('');

// ---- the specs ---------------------------------------------------------------------------------

describe('QR code: the published worked example (Thonky 5-Q)', () => {
  it('makes the same data codewords, split the same way', () => {
    const bytes = new TextEncoder().encode(THONKY_TEXT);
    expect(bytes.length).toBe(53);
    expect(dataCodewords(bytes, 5, 'Q')).toEqual(THONKY_BLOCKS.flat());
    expect(encodeQr(THONKY_TEXT, { level: 'Q' }).version).toBe(5);
  });

  it('makes the same Reed–Solomon codewords for each block', () => {
    THONKY_BLOCKS.forEach((block, i) => {
      const ec = reedSolomon(block, 18);
      expect(ec.slice(0, THONKY_EC[i]!.length)).toEqual(THONKY_EC[i]);
    });
  });

  it('interleaves data column by column across blocks, then the EC codewords', () => {
    const message = interleave(THONKY_BLOCKS.flat(), 5, 'Q');
    expect(message).toHaveLength(134);
    expect(message.slice(0, 8)).toEqual([67, 246, 182, 70, 85, 246, 230, 247]);
    // Data position 60..61: the last column only blocks 3 and 4 have; then EC, block by block.
    expect(message.slice(60, 66)).toEqual([7, 236, 213, 87, 148, 235]);
  });

  it('places a 5-Q symbol that reads back to the text with zero syndromes', () => {
    const code = encodeQr(THONKY_TEXT, { level: 'Q' });
    const read = decode(code);
    expect(read).toMatchObject({ text: THONKY_TEXT, level: 'Q', mask: code.mask, syndromesZero: true });
    expect(read.data).toEqual(THONKY_BLOCKS.flat());
  });

  it('has the generator polynomial for 7 EC codewords as published (exponents of α)', () => {
    // Thonky "Generator Polynomial Tool", n = 7: α0x7 + α87x6 + α229x5 + α146x4 + α149x3 + α238x2 + α102x + α21
    const exponents = [0, 87, 229, 146, 149, 238, 102, 21];
    expect(generatorPolynomial(7)).toEqual(exponents.map((e) => gf.exp[e]));
  });
});

describe('QR code: format and version information', () => {
  it('matches the published format strings (ISO 18004 annex C; Thonky "Format and Version String Tables")', () => {
    expect(bchFormat('M', 0).toString(2).padStart(15, '0')).toBe('101010000010010');
    expect(bchFormat('L', 0).toString(2).padStart(15, '0')).toBe('111011111000100');
    expect(bchFormat('L', 4).toString(2).padStart(15, '0')).toBe('110011000101111');
    expect(bchFormat('Q', 0).toString(2).padStart(15, '0')).toBe('011010101011111');
    expect(bchFormat('H', 0).toString(2).padStart(15, '0')).toBe('001011010001001');
  });

  it('matches the published version strings', () => {
    expect(bchVersion(7).toString(2).padStart(18, '0')).toBe('000111110010010100');
    expect(bchVersion(8).toString(2).padStart(18, '0')).toBe('001000010110111100');
    expect(bchVersion(40).toString(2).padStart(18, '0')).toBe('101000110001101001');
  });

  it('writes both format copies and, from version 7, both version blocks', () => {
    const code = encodeQr(textOf(150), { level: 'M' });
    expect(code.version).toBeGreaterThanOrEqual(7);
    const { copy1, copy2 } = readFormat(code);
    expect(copy1).toBe(bchFormat('M', code.mask));
    expect(copy2).toBe(copy1);
    const bits = bchVersion(code.version);
    for (let i = 0; i < 18; i++) {
      const dark = ((bits >> i) & 1) === 1;
      expect(code.modules[Math.floor(i / 3)]![code.size - 11 + (i % 3)]).toBe(dark);
      expect(code.modules[code.size - 11 + (i % 3)]![Math.floor(i / 3)]).toBe(dark);
    }
  });
});

describe('QR code: structure', () => {
  it('puts the alignment patterns where the standard lists them', () => {
    for (const [version, centres] of Object.entries(ALIGNMENT_TABLE)) {
      expect(alignmentPositions(Number(version)), `version ${version}`).toEqual(centres);
    }
  });

  it('holds as many bytes as the published capacities, and picks the smallest version', () => {
    // Thonky "Character Capacities by Version and Error Correction Level", byte mode.
    const published: Array<[number, ErrorCorrectionLevel, number]> = [
      [1, 'L', 17],
      [1, 'M', 14],
      [1, 'Q', 11],
      [1, 'H', 7],
      [5, 'Q', 60],
      [10, 'M', 213],
      [27, 'L', 1465],
      [40, 'L', 2953],
      [40, 'M', 2331],
      [40, 'Q', 1663],
      [40, 'H', 1273],
    ];
    for (const [version, level, bytes] of published) {
      expect(byteCapacity(version, level), `${version}-${level}`).toBe(bytes);
    }
    expect(encodeQr(textOf(14)).version).toBe(1);
    expect(encodeQr(textOf(15)).version).toBe(2);
    expect(() => encodeQr(textOf(2332))).toThrow(QrCapacityError);
  });

  it('has finders, separators, timing patterns, alignment patterns and the dark module', () => {
    const code = encodeQr(textOf(300), { level: 'L' }); // version 10: several alignment patterns
    const m = code.modules;
    const n = code.size;
    for (const [top, left] of [
      [0, 0],
      [0, n - 7],
      [n - 7, 0],
    ] as const) {
      for (let r = 0; r < 7; r++) {
        for (let c = 0; c < 7; c++) {
          const ring = Math.max(Math.abs(r - 3), Math.abs(c - 3));
          expect(m[top + r]![left + c], `finder at ${top},${left}`).toBe(ring !== 2);
        }
      }
    }
    for (let i = 0; i < 8; i++) {
      expect(m[7]![i]).toBe(false); // separators
      expect(m[i]![n - 8]).toBe(false);
      expect(m[n - 8]![i]).toBe(false);
    }
    for (let i = 8; i < n - 8; i++) {
      expect(m[6]![i]).toBe(i % 2 === 0);
      expect(m[i]![6]).toBe(i % 2 === 0);
    }
    expect(m[n - 8]![8]).toBe(true);
    const centres = alignmentPositions(code.version);
    for (const r of centres)
      for (const c of centres) {
        if ((r === 6 && c === 6) || (r === 6 && c === n - 7) || (r === n - 7 && c === 6)) continue;
        expect(m[r]![c]).toBe(true);
        expect(m[r - 1]![c]).toBe(false);
        expect(m[r + 2]![c - 2]).toBe(true);
      }
  });
});

describe('QR code: every symbol reads back', () => {
  it('for each of the 8 masks', () => {
    for (let mask = 0; mask < 8; mask++) {
      const code = encodeQr('lndconnect://192.168.1.20:10009', { level: 'M', mask });
      expect(decode(code)).toMatchObject({
        mask,
        syndromesZero: true,
        text: 'lndconnect://192.168.1.20:10009',
      });
    }
  });

  it('at each level, across versions with one block and with two groups', () => {
    const cases: Array<[number, ErrorCorrectionLevel, number]> = [
      [17, 'L', 1],
      [14, 'M', 1],
      [11, 'Q', 1],
      [7, 'H', 1],
      [26, 'M', 2],
      [106, 'M', 6],
      [64, 'H', 7],
      [213, 'M', 10],
      [2953, 'L', 40],
      [1273, 'H', 40],
    ];
    for (const [length, level, version] of cases) {
      const text = textOf(length);
      const code = encodeQr(text, { level });
      expect(code.version, `${length} bytes at ${level}`).toBe(version);
      expect(decode(code)).toMatchObject({ text, level, syndromesZero: true });
    }
  });

  it('for every version 1–40 (lengths at capacity)', () => {
    for (let version = 1; version <= 40; version++) {
      const level: ErrorCorrectionLevel = (['L', 'M', 'Q', 'H'] as const)[version % 4]!;
      const text = textOf(byteCapacity(version, level));
      const code = encodeQr(text, { level });
      expect(code.version).toBe(version);
      // Block counts for versions outside the reader's table come from the syndromes themselves:
      // any wrong split or order would leave a non-zero syndrome somewhere.
      const read = decode(code, BLOCK_TABLE[`${version}-${level}`] ?? encoderLayout(version, level));
      expect(read, `version ${version}`).toMatchObject({ text, syndromesZero: true });
    }
  });

  it('keeps UTF-8 text intact', () => {
    const text = 'Ünïcødé ⚡ 🗝';
    expect(decode(encodeQr(text)).text).toBe(text);
  });

  it('notices a flipped data module (the reader can fail)', () => {
    const code = encodeQr('lndconnect://192.168.1.20:10009', { level: 'M', mask: 2 });
    code.modules[10]![10] = !code.modules[10]![10]; // a codeword module, clear of every pattern
    expect(decode(code).syndromesZero).toBe(false);
  });

  it('uses the lowest-penalty mask', () => {
    const text = 'lndconnect://example:10009?cert=abc';
    const chosen = encodeQr(text);
    for (let mask = 0; mask < 8; mask++) {
      expect(penalty(encodeQr(text, { mask }).modules)).toBeGreaterThanOrEqual(penalty(chosen.modules));
    }
  });
});

describe('QR code: penalty rules', () => {
  it('scores an all-light 21×21 square by rules 1, 2 and 4', () => {
    const light = Array.from({ length: 21 }, () => new Array<boolean>(21).fill(false));
    // Rule 1: 42 lines of 21 → (21 − 5 + 3) each; rule 2: 20×20 blocks × 3; rule 4: 0 % dark → 100.
    expect(penalty(light)).toBe(42 * 19 + 400 * 3 + 100);
  });

  it('scores a finder-like pattern by rule 3', () => {
    const size = 21;
    const checker = Array.from({ length: size }, (_, r) =>
      Array.from({ length: size }, (_, c) => (r + c) % 2 === 0),
    );
    const base = penalty(checker);
    const withPattern = checker.map((row) => [...row]);
    '10111010000'.split('').forEach((bit, i) => (withPattern[10]![i + 5] = bit === '1'));
    expect(penalty(withPattern) - base).toBeGreaterThanOrEqual(40);
  });
});

describe('qrPath', () => {
  it('draws one unit square per dark module inside the quiet zone', () => {
    const code = encodeQr('hi');
    const path = qrPath(code);
    const dark = code.modules.flat().filter(Boolean).length;
    expect(path.match(/M/g)).toHaveLength(dark);
    expect(path.startsWith('M4 4h1v1h-1z')).toBe(true); // the top-left finder's corner
  });
});

/** The encoder's own split, for versions the reader's table does not list. */
function encoderLayout(
  version: number,
  level: ErrorCorrectionLevel,
): { ec: number; groups: Array<[number, number]> } {
  const layout = blockLayout(version, level);
  return { ec: layout.ecPerBlock, groups: layout.dataLengths.map((length): [number, number] => [1, length]) };
}
