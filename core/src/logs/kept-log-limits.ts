// How much of the apps' output a node keeps (daemon options, README "Kept logs").

export interface KeptLogLimits {
  /** A kept file is rotated before it passes this many bytes (per app; also conmon's spool cap). */
  fileBytes: number;
  /** Kept files per app, the current one included; the oldest goes first. */
  files: number;
  /** All apps' kept files together; past it the oldest rotated files of any app go first. */
  totalBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_KEPT_LOG_LIMITS: KeptLogLimits = {
  fileBytes: 10 * MiB,
  files: 5,
  totalBytes: 512 * MiB,
};

/** The smallest file cap: a spool smaller than a few of conmon's records would only churn. */
export const MIN_KEPT_LOG_FILE_BYTES = 16 * 1024;

const SIZE = /^(\d+)\s*([kmg]i?b?|b)?$/i;
const UNIT: Record<string, number> = { '': 1, b: 1, k: 1024, m: MiB, g: 1024 * MiB };

/** `10M`, `512MiB`, `65536`: bytes (powers of 1024). Throws a message for the option named. */
export function parseByteSize(text: string, option: string): number {
  const match = SIZE.exec(text.trim());
  const unit = match?.[2]?.[0]?.toLowerCase() ?? '';
  const bytes = match ? Number(match[1]) * (UNIT[unit] ?? 1) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new Error(`${option} expects a size such as 10M, 512MiB or 65536 (bytes); got '${text}'`);
  }
  return bytes;
}
