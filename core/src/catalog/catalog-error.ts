import {
  ArchyError,
  RpcErrorCode,
  type CatalogRefusalData,
  type CatalogRefusalReason,
} from '../kernel/index.js';

// Why catalog metadata was refused travels in the error's `data.reason` so the store, API and UI can
// tell a freeze from a rollback without parsing messages; the kernel types it.
export type { CatalogRefusalData, CatalogRefusalReason };

/** Conflict: the metadata offered conflicts with what this node trusts. */
export function catalogRefused(reason: CatalogRefusalReason, message: string, cause?: unknown): ArchyError {
  const data: CatalogRefusalData = { reason };
  return new ArchyError(RpcErrorCode.Conflict, message, { data, cause });
}

export function catalogRefusalReason(err: unknown): CatalogRefusalReason | undefined {
  if (!(err instanceof ArchyError)) return undefined;
  const reason = (err.data as Partial<CatalogRefusalData> | undefined)?.reason;
  return typeof reason === 'string' ? (reason as CatalogRefusalReason) : undefined;
}
