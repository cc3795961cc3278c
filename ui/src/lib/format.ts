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
