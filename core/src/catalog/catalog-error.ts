import { RpcErrorCode } from '../api/contract.js';
import { ArchyError } from '../util/errors.js';

/**
 * Why catalog metadata was refused. Travels in the error's `data.reason` so the store, API and UI
 * can tell a freeze from a rollback without parsing messages (and without a new RPC code).
 */
export type CatalogRefusalReason =
  'malformed' | 'signatures' | 'expired' | 'rollback' | 'root-rotation' | 'unavailable';

export interface CatalogRefusalData {
  reason: CatalogRefusalReason;
}

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
