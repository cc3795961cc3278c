/** 1536 → "1.5 KB": decimal units, as disk and download sizes are usually shown. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** "3 min ago", "just now" — for probe and start times. */
export function formatAgo(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '—';
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export const CATEGORY_LABELS: Record<string, string> = {
  bitcoin: 'Bitcoin & Lightning',
  lightning: 'Bitcoin & Lightning',
  web5: 'Web5 & protocols',
  mesh: 'Mesh networking',
  'self-hosted': 'Self-hosted',
  other: 'Other',
};

/** Display order of the category groups. */
export const CATEGORY_ORDER = [
  'Bitcoin & Lightning',
  'Web5 & protocols',
  'Mesh networking',
  'Self-hosted',
  'Other',
];

export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category] ?? 'Other';
}

/** 3_200_000 → "3.2 MB/s": a transfer rate, in the units formatBytes uses. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** 125 → "2 min 5 s", 4500 → "1 h 15 min": a time left that a person reads at a glance. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) {
    const rest = whole % 60;
    // Past ten minutes the seconds are noise: the rate moves more than that.
    return rest === 0 || minutes >= 10 ? `${minutes} min` : `${minutes} min ${rest} s`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** An ISO time as the reader's locale writes a date and time; the ISO text when it is not one. */
export function formatDateTime(iso: string, locale?: string): string {
  const when = Date.parse(iso);
  if (Number.isNaN(when)) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(when);
}

/** The daemon's words start lower-case (they read well after "error:" on a terminal). */
export function capitalize(text: string): string {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/** "restarted with -prune=9536" → "Restarted with -prune=9536.": a daemon message shown on its own. */
export function asSentence(text: string): string {
  const capital = capitalize(text.trim());
  return capital === '' || /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
