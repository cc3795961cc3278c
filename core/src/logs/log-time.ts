// Times of kept lines are UTC with nine fraction digits (`2026-12-06T10:00:00.123456789Z`), so
// they compare as text. A time a reader gives (`--since 2026-12-06T10:00:00Z`, a browser's ms)
// is brought to the same shape, keeping the digits it had.

const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/;

/** An ISO time to the kept lines' shape; throws on anything else. */
export function normaliseLogTime(text: string): string {
  const match = ISO.exec(text.trim());
  const utc = match ? new Date(`${match[1]}${match[3]}`) : undefined;
  if (!match || !utc || Number.isNaN(utc.getTime())) {
    throw new Error(`'${text}' is not an ISO time such as 2026-12-06T10:00:00Z`);
  }
  return `${utc.toISOString().slice(0, 19)}.${(match[2] ?? '').padEnd(9, '0')}Z`;
}

const RELATIVE = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `10m`, `2h`, `1d` before `now`, or an ISO time: the ISO time meant (`--since`, `--until`). */
export function resolveLogTime(text: string, now: Date = new Date()): string {
  const relative = RELATIVE.exec(text.trim());
  if (relative) {
    const ms = Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
    return new Date(now.getTime() - ms).toISOString();
  }
  try {
    return normaliseLogTime(text);
  } catch {
    throw new Error(
      `'${text}' is neither a duration such as 10m, 2h, 1d nor an ISO time such as 2026-12-06T10:00:00Z`,
    );
  }
}
