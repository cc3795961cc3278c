/** One JSON line restic printed with `--json` (`message_type`: status, summary, error, verbose_status, …). */
export type ResticMessage = Record<string, unknown> & { message_type?: string };
