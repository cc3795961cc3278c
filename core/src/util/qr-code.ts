// A QR Code encoder (ISO/IEC 18004:2015, model 2), byte mode only, written for this project: the app
// details page shows a Lightning wallet's `lndconnect://` URI as a QR code, and no package for it
// may be fetched here. The facts below (block tables, generator polynomials, BCH codes, mask rules,
// penalty rules) are the standard's, as Thonky's public QR Code Tutorial documents them
// (https://www.thonky.com/qr-code-tutorial/): each table says which page it comes from.
//
// Pipeline: UTF-8 bytes → bit stream (mode, count, data, terminator, padding) → data codewords
// split into blocks → Reed–Solomon error-correction codewords per block → interleaving → zigzag
// placement beside the function patterns → the mask with the lowest penalty → format (and, from
// version 7, version) information.

export type ErrorCorrectionLevel = 'L' | 'M' | 'Q' | 'H';

export interface QrCode {
  version: number;
  level: ErrorCorrectionLevel;
  mask: number;
  /** Modules per side: 17 + 4 × version. */
  size: number;
  /** `modules[row][col]`, true = dark. No quiet zone: renderers add the 4 light modules around. */
  modules: boolean[][];
}

/** Thrown when the text does not fit a version-40 symbol at the chosen level. */
export class QrCapacityError extends Error {
  constructor(bytes: number, level: ErrorCorrectionLevel) {
    super(
      `${bytes} bytes do not fit in a QR code at error correction ${level} (version 40 holds at most ${byteCapacity(40, level)})`,
    );
    this.name = 'QrCapacityError';
  }
}

// ---- the standard's tables ---------------------------------------------------------------------

/** Format-information bits of each level (ISO 18004 table 12; Thonky "Format and Version Information"). */
export const LEVEL_BITS: Record<ErrorCorrectionLevel, number> = { L: 0b01, M: 0b00, Q: 0b11, H: 0b10 };

/**
 * Error-correction codewords per block, and number of blocks, by version (index 1–40; 0 unused).
 * ISO 18004 table 9, as Thonky's "Error Correction Code Words and Block Information" table lists it:
 * a version/level has `blocks` blocks with the same number of EC codewords each; its data codewords
 * (total codewords minus EC) are split so that later blocks hold one more when they do not divide
 * evenly (Thonky's "group 2").
 */
const EC_PER_BLOCK: Record<ErrorCorrectionLevel, readonly number[]> = {
  L: [
    0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28,
    30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
  ],
  M: [
    0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  ],
  Q: [
    0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28,
    30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
  ],
  H: [
    0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30,
    30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
  ],
};
const BLOCKS: Record<ErrorCorrectionLevel, readonly number[]> = {
  L: [
    0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16,
    17, 18, 19, 19, 20, 21, 22, 24, 25,
  ],
  M: [
    0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28,
    29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
  ],
  Q: [
    0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35,
    38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68,
  ],
  H: [
    0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42,
    45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81,
  ],
};

/** Format information: BCH(15,5) generator x^10+x^8+x^5+x^4+x^2+x+1, then XOR 101010000010010 (ISO 18004 §7.9.1). */
const FORMAT_GENERATOR = 0b10100110111;
const FORMAT_XOR = 0b101010000010010;
/** Version information: BCH(18,6) generator x^12+x^11+x^10+x^9+x^8+x^5+x^2+1 (ISO 18004 §7.10; Thonky). */
const VERSION_GENERATOR = 0b1111100100101;

// ---- sizes and capacities ----------------------------------------------------------------------

export const sizeOf = (version: number): number => 17 + 4 * version;

/**
 * Centre coordinates of the alignment patterns (ISO 18004 annex E; Thonky "Alignment Pattern
 * Locations"): the first at 6, the last at size − 7, the ones between evenly spaced by an even
 * step, the remainder going to the first gap. Version 32 is the one exception to that rule of
 * rounding (step 26 rather than 28), as the annex's table shows.
 */
export function alignmentPositions(version: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const last = sizeOf(version) - 7;
  const step = version === 32 ? 26 : Math.ceil((last - 6) / (count - 1) / 2) * 2;
  const positions = [6];
  for (let i = count - 2; i >= 0; i--) positions.push(last - i * step);
  return positions;
}

/** Modules left for codewords once the function patterns are placed (format and version included). */
export function dataModuleCount(version: number): number {
  const size = sizeOf(version);
  const align = alignmentPositions(version).length;
  let modules = size * size;
  modules -= 3 * 64; // three finder patterns with their separators (8×8 each)
  modules -= 2 * (size - 16); // timing patterns between the separators
  if (align > 0) modules -= (align * align - 3) * 25 - 2 * (align - 2) * 5; // less their overlap with timing
  modules -= 31; // two copies of the format information (15 each) and the dark module
  if (version >= 7) modules -= 36; // two 6×3 version information blocks
  return modules;
}

export interface BlockLayout {
  /** Data codewords of each block, in order. */
  dataLengths: number[];
  ecPerBlock: number;
  totalCodewords: number;
  dataCodewords: number;
}

export function blockLayout(version: number, level: ErrorCorrectionLevel): BlockLayout {
  const totalCodewords = Math.floor(dataModuleCount(version) / 8);
  const blocks = BLOCKS[level][version]!;
  const ecPerBlock = EC_PER_BLOCK[level][version]!;
  const dataCodewords = totalCodewords - blocks * ecPerBlock;
  const shortLength = Math.floor(dataCodewords / blocks);
  const longBlocks = dataCodewords % blocks;
  const dataLengths = Array.from({ length: blocks }, (_, i) =>
    i < blocks - longBlocks ? shortLength : shortLength + 1,
  );
  return { dataLengths, ecPerBlock, totalCodewords, dataCodewords };
}

/** Character-count bits of byte mode: 8 up to version 9, 16 after (ISO 18004 table 3). */
const countBits = (version: number): number => (version <= 9 ? 8 : 16);

/** The most bytes a symbol of this version and level holds in byte mode. */
export function byteCapacity(version: number, level: ErrorCorrectionLevel): number {
  const bits = blockLayout(version, level).dataCodewords * 8 - 4 - countBits(version);
  return Math.floor(bits / 8);
}

// ---- GF(256) and Reed–Solomon -------------------------------------------------------------------

/** GF(2^8) with the field polynomial x^8+x^4+x^3+x^2+1 (0x11D; ISO 18004 §7.5.2), generator α = 2. */
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let value = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = value;
    LOG[value] = i;
    value <<= 1;
    if (value & 0x100) value ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

export function gfMultiply(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

/** α^n. */
export const gfPower = (n: number): number => EXP[n % 255]!;

/**
 * The generator polynomial (x − α^0)(x − α^1)…(x − α^(n−1)), coefficients highest power first,
 * leading 1 included (ISO 18004 annex A; Thonky "Generator Polynomial Tool").
 */
export function generatorPolynomial(degree: number): number[] {
  let poly = [1];
  for (let i = 0; i < degree; i++) {
    const next = new Array<number>(poly.length + 1).fill(0);
    for (let j = 0; j < poly.length; j++) {
      next[j]! ^= poly[j]!;
      next[j + 1]! ^= gfMultiply(poly[j]!, gfPower(i));
    }
    poly = next;
  }
  return poly;
}

const generators = new Map<number, number[]>();

/** The error-correction codewords of one block: the remainder of data·x^n divided by the generator. */
export function reedSolomon(data: readonly number[], ecCount: number): number[] {
  let generator = generators.get(ecCount);
  if (!generator) generators.set(ecCount, (generator = generatorPolynomial(ecCount)));
  const remainder = new Array<number>(ecCount).fill(0);
  for (const codeword of data) {
    const factor = codeword ^ remainder.shift()!;
    remainder.push(0);
    for (let i = 0; i < ecCount; i++) remainder[i]! ^= gfMultiply(generator[i + 1]!, factor);
  }
  return remainder;
}

// ---- codewords ---------------------------------------------------------------------------------

/** The data codewords of `bytes` in byte mode, padded to the version's capacity (ISO 18004 §7.4). */
export function dataCodewords(bytes: Uint8Array, version: number, level: ErrorCorrectionLevel): number[] {
  const capacityBits = blockLayout(version, level).dataCodewords * 8;
  const bits: number[] = [];
  const put = (value: number, length: number): void => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(0b0100, 4); // byte mode
  put(bytes.length, countBits(version));
  for (const byte of bytes) put(byte, 8);
  put(0, Math.min(4, capacityBits - bits.length)); // terminator, shortened when full
  while (bits.length % 8 !== 0) bits.push(0);
  const codewords: number[] = [];
  for (let i = 0; i < bits.length; i += 8)
    codewords.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0));
  for (let pad = 0; codewords.length < capacityBits / 8; pad++) codewords.push(pad % 2 === 0 ? 0xec : 0x11);
  return codewords;
}

/** Splits the data into blocks, adds each block's EC codewords, and interleaves (ISO 18004 §7.6). */
export function interleave(data: readonly number[], version: number, level: ErrorCorrectionLevel): number[] {
  const layout = blockLayout(version, level);
  const blocks: number[][] = [];
  let offset = 0;
  for (const length of layout.dataLengths) {
    blocks.push(data.slice(offset, offset + length));
    offset += length;
  }
  const ec = blocks.map((block) => reedSolomon(block, layout.ecPerBlock));
  const out: number[] = [];
  const longest = Math.max(...layout.dataLengths);
  for (let i = 0; i < longest; i++) for (const block of blocks) if (i < block.length) out.push(block[i]!);
  for (let i = 0; i < layout.ecPerBlock; i++) for (const block of ec) out.push(block[i]!);
  return out;
}

// ---- the matrix --------------------------------------------------------------------------------

export const bchFormat = (level: ErrorCorrectionLevel, mask: number): number => {
  const data = (LEVEL_BITS[level] << 3) | mask;
  return ((data << 10) | bchRemainder(data << 10, FORMAT_GENERATOR)) ^ FORMAT_XOR;
};

export const bchVersion = (version: number): number =>
  (version << 12) | bchRemainder(version << 12, VERSION_GENERATOR);

function bchRemainder(value: number, generator: number): number {
  const degree = 31 - Math.clz32(generator);
  let rest = value;
  while (rest !== 0 && 31 - Math.clz32(rest) >= degree) rest ^= generator << (31 - Math.clz32(rest) - degree);
  return rest;
}

/** The data-mask conditions (ISO 18004 table 10; Thonky "Data Masking"): true flips the module. */
export const MASKS: ReadonlyArray<(row: number, col: number) => boolean> = [
  (r, c) => (r + c) % 2 === 0,
  (r) => r % 2 === 0,
  (_, c) => c % 3 === 0,
  (r, c) => (r + c) % 3 === 0,
  (r, c) => (Math.floor(r / 2) + Math.floor(c / 3)) % 2 === 0,
  (r, c) => ((r * c) % 2) + ((r * c) % 3) === 0,
  (r, c) => (((r * c) % 2) + ((r * c) % 3)) % 2 === 0,
  (r, c) => (((r + c) % 2) + ((r * c) % 3)) % 2 === 0,
];

class Matrix {
  readonly size: number;
  readonly dark: boolean[][];
  /** Function modules (finders, timing, alignment, format, version): never data, never masked. */
  readonly reserved: boolean[][];

  constructor(readonly version: number) {
    this.size = sizeOf(version);
    this.dark = Array.from({ length: this.size }, () => new Array<boolean>(this.size).fill(false));
    this.reserved = Array.from({ length: this.size }, () => new Array<boolean>(this.size).fill(false));
    this.placeFunctionPatterns();
  }

  private set(row: number, col: number, dark: boolean): void {
    this.dark[row]![col] = dark;
    this.reserved[row]![col] = true;
  }

  private placeFunctionPatterns(): void {
    const size = this.size;
    // Finder patterns (7×7: ring, gap, 3×3 core) with their light separators.
    for (const [top, left] of [
      [0, 0],
      [0, size - 7],
      [size - 7, 0],
    ] as const) {
      for (let dr = -1; dr <= 7; dr++) {
        for (let dc = -1; dc <= 7; dc++) {
          const row = top + dr;
          const col = left + dc;
          if (row < 0 || col < 0 || row >= size || col >= size) continue;
          const ring = Math.max(Math.abs(dr - 3), Math.abs(dc - 3));
          this.set(row, col, ring !== 2 && ring !== 4);
        }
      }
    }
    // Timing patterns on row 6 and column 6.
    for (let i = 8; i < size - 8; i++) {
      this.set(6, i, i % 2 === 0);
      this.set(i, 6, i % 2 === 0);
    }
    // Alignment patterns (5×5), except where they would cover a finder.
    const centres = alignmentPositions(this.version);
    const last = centres[centres.length - 1];
    for (const row of centres) {
      for (const col of centres) {
        // The three corners with a finder get none; those on the timing lines do (they agree with it).
        if ((row === 6 && (col === 6 || col === last)) || (row === last && col === 6)) continue;
        for (let dr = -2; dr <= 2; dr++)
          for (let dc = -2; dc <= 2; dc++)
            this.set(row + dr, col + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1);
      }
    }
    // Format areas are reserved now and written per mask; the dark module is fixed.
    this.placeFormat(0);
    this.set(size - 8, 8, true);
    if (this.version >= 7) this.placeVersion();
  }

  /** Both copies of the 15 format bits; bit 14 (the first) next to the top-left finder's corner. */
  placeFormat(bits: number): void {
    const size = this.size;
    const bit = (i: number): boolean => ((bits >>> i) & 1) === 1;
    for (let i = 0; i <= 5; i++) this.set(i, 8, bit(i));
    this.set(7, 8, bit(6));
    this.set(8, 8, bit(7));
    this.set(8, 7, bit(8));
    for (let i = 9; i < 15; i++) this.set(8, 14 - i, bit(i));
    for (let i = 0; i < 8; i++) this.set(8, size - 1 - i, bit(i));
    for (let i = 8; i < 15; i++) this.set(size - 15 + i, 8, bit(i));
  }

  private placeVersion(): void {
    const bits = bchVersion(this.version);
    for (let i = 0; i < 18; i++) {
      const dark = ((bits >>> i) & 1) === 1;
      const a = this.size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      this.set(b, a, dark); // top right: 6 rows × 3 columns
      this.set(a, b, dark); // bottom left: 3 rows × 6 columns
    }
  }

  /** Codewords in the zigzag order: two columns at a time from the right, up then down, skipping column 6. */
  placeCodewords(codewords: readonly number[]): void {
    const size = this.size;
    const total = codewords.length * 8;
    let index = 0;
    let upward = true;
    for (let right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5; // the vertical timing pattern is skipped as a whole column
      for (let step = 0; step < size; step++) {
        const row = upward ? size - 1 - step : step;
        for (const col of [right, right - 1]) {
          if (this.reserved[row]![col]) continue;
          // Remainder bits (past the last codeword) stay light before masking.
          this.dark[row]![col] = index < total && ((codewords[index >>> 3]! >>> (7 - (index & 7))) & 1) === 1;
          index++;
        }
      }
      upward = !upward;
    }
  }

  applyMask(mask: number): void {
    const condition = MASKS[mask]!;
    for (let row = 0; row < this.size; row++)
      for (let col = 0; col < this.size; col++)
        if (!this.reserved[row]![col] && condition(row, col)) this.dark[row]![col] = !this.dark[row]![col];
  }
}

// ---- mask choice -------------------------------------------------------------------------------

/**
 * The four penalty rules (ISO 18004 §7.8.3; Thonky "Data Masking", whose reading of rule 3 —
 * the 11-module patterns 10111010000 and 00001011101 inside the symbol — is used here).
 */
export function penalty(modules: readonly (readonly boolean[])[]): number {
  const size = modules.length;
  const at = (row: number, col: number, transposed: boolean): boolean =>
    transposed ? modules[col]![row]! : modules[row]![col]!;
  let score = 0;
  const patternA = [true, false, true, true, true, false, true, false, false, false, false];
  const patternB = [...patternA].reverse();
  for (const transposed of [false, true]) {
    for (let line = 0; line < size; line++) {
      // Rule 1: runs of five or more of one colour.
      let run = 1;
      for (let i = 1; i <= size; i++) {
        if (i < size && at(line, i, transposed) === at(line, i - 1, transposed)) {
          run++;
        } else {
          if (run >= 5) score += run - 2;
          run = 1;
        }
      }
      // Rule 3: a finder-like 1:1:3:1:1 pattern with four light modules on one side.
      for (let i = 0; i + 11 <= size; i++) {
        const matches = (pattern: boolean[]): boolean =>
          pattern.every((dark, k) => at(line, i + k, transposed) === dark);
        if (matches(patternA)) score += 40;
        if (matches(patternB)) score += 40;
      }
    }
  }
  // Rule 2: every 2×2 block of one colour.
  let dark = 0;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (modules[row]![col]) dark++;
      if (row + 1 < size && col + 1 < size) {
        const colour = modules[row]![col];
        if (
          modules[row]![col + 1] === colour &&
          modules[row + 1]![col] === colour &&
          modules[row + 1]![col + 1] === colour
        )
          score += 3;
      }
    }
  }
  // Rule 4: 10 points for each full 5 % the dark share is away from 50 %.
  const percent = (dark * 100) / (size * size);
  score += Math.floor(Math.abs(percent - 50) / 5) * 10;
  return score;
}

// ---- the entry point ---------------------------------------------------------------------------

export interface QrOptions {
  /** Default M: about 15 % of the symbol may be damaged and still read. */
  level?: ErrorCorrectionLevel;
  /** Force a mask (0–7) instead of choosing by penalty; for tests. */
  mask?: number;
  /** The smallest version to use (default 1). */
  minVersion?: number;
}

/** Encodes `text` (as UTF-8) in byte mode in the smallest version that holds it. */
export function encodeQr(text: string, options: QrOptions = {}): QrCode {
  const level = options.level ?? 'M';
  const bytes = new TextEncoder().encode(text);
  let version = Math.max(1, options.minVersion ?? 1);
  while (version <= 40 && byteCapacity(version, level) < bytes.length) version++;
  if (version > 40) throw new QrCapacityError(bytes.length, level);

  const codewords = interleave(dataCodewords(bytes, version, level), version, level);
  const build = (mask: number): Matrix => {
    const matrix = new Matrix(version);
    matrix.placeCodewords(codewords);
    matrix.applyMask(mask);
    matrix.placeFormat(bchFormat(level, mask));
    return matrix;
  };
  let best: { mask: number; matrix: Matrix } | undefined;
  if (options.mask !== undefined) {
    best = { mask: options.mask, matrix: build(options.mask) };
  } else {
    let bestScore = Infinity;
    for (let mask = 0; mask < 8; mask++) {
      const matrix = build(mask);
      const score = penalty(matrix.dark);
      if (score < bestScore) {
        bestScore = score;
        best = { mask, matrix };
      }
    }
  }
  const { mask, matrix } = best!;
  return { version, level, mask, size: matrix.size, modules: matrix.dark };
}

/** An SVG path (one `M…h1v1h-1z` square per dark module) offset by a quiet zone of `margin` modules. */
export function qrPath(code: QrCode, margin = 4): string {
  const parts: string[] = [];
  for (let row = 0; row < code.size; row++) {
    for (let col = 0; col < code.size; col++) {
      if (code.modules[row]![col]) parts.push(`M${col + margin} ${row + margin}h1v1h-1z`);
    }
  }
  return parts.join('');
}
