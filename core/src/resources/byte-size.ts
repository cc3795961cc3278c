// Sizes for people: binary units (what `free -h` and Podman's `--memory 2g` mean), one decimal
// so "2.0 GiB" and "1.9 GiB" tell apart a fit from a refusal.

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** e.g. 512 B, 64.0 MiB, 2.0 GiB. */
export function formatByteSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes / 1024;
  let unit = 0;
  // Step up before rounding would print "1024.0 KiB".
  while (value >= 1023.95 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}
