// Human-friendly quantities in manifests ("64M", "10s") and the exact numbers the rest of the
// daemon works in (bytes, milliseconds). Each parser returns the number or a sentence saying
// what is wrong, so the schema can report it at the right line.

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const KIB = 1024;

// Every unit is binary (1024-based), whether written K, Ki, KB or KiB: that is how Docker and
// Podman read `--memory 1g`, so a manifest's "1GB" means what a container user expects it to.
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  k: KIB,
  m: KIB ** 2,
  g: KIB ** 3,
  t: KIB ** 4,
};

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)$/i;

export const SIZE_EXAMPLES = '"64M", "512Mi", "2G" or a number of bytes';

/** A size such as "64M", "512Mi", "2GB", "100k" or a plain integer of bytes, in bytes. */
export function parseByteSize(input: unknown): Parsed<number> {
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input > 0) return { ok: true, value: input };
    return { ok: false, reason: `expected a size such as ${SIZE_EXAMPLES}, got ${input}` };
  }
  if (typeof input !== 'string') {
    return { ok: false, reason: `expected a size such as ${SIZE_EXAMPLES}` };
  }
  const match = SIZE_PATTERN.exec(input.trim());
  // "5i" (an "i" with no unit letter) is not a size anyone means.
  if (!match || (match[3] !== '' && match[2] === '')) {
    return { ok: false, reason: `expected a size such as ${SIZE_EXAMPLES}, got ${JSON.stringify(input)}` };
  }
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
  if (bytes < 1 || !Number.isSafeInteger(bytes)) {
    return { ok: false, reason: `size ${JSON.stringify(input)} is out of range; use e.g. ${SIZE_EXAMPLES}` };
  }
  return { ok: true, value: bytes };
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;

// Beyond a day a health interval or stop timeout is a mistake, and Node timers overflow at
// about 24.8 days anyway.
export const MAX_DURATION_MS = 24 * 3_600_000;

export const DURATION_EXAMPLES = '"500ms", "10s", "2m", "1h" or a number of seconds';

/** A duration such as "10s", "500ms", "2m", "1h" or a number of seconds, in milliseconds. */
export function parseDuration(input: unknown): Parsed<number> {
  let ms: number;
  if (typeof input === 'number' && Number.isFinite(input)) {
    ms = Math.round(input * 1000);
  } else if (typeof input === 'string' && DURATION_PATTERN.test(input.trim())) {
    const [, amount, unit] = DURATION_PATTERN.exec(input.trim())!;
    ms = Math.round(Number(amount) * DURATION_UNITS_MS[unit!]!);
  } else {
    const got = typeof input === 'string' ? `, got ${JSON.stringify(input)}` : '';
    return { ok: false, reason: `expected a duration such as ${DURATION_EXAMPLES}${got}` };
  }
  if (ms < 0 || ms > MAX_DURATION_MS) {
    return { ok: false, reason: `duration ${JSON.stringify(input)} must be between 0 and 24h` };
  }
  return { ok: true, value: ms };
}

/** Renders bytes the way a user would write them, for messages. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['T', KIB ** 4],
    ['G', KIB ** 3],
    ['M', KIB ** 2],
    ['K', KIB],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}
