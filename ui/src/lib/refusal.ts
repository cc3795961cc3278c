import { RpcError } from '../api/container-client';

// What a refusal to make an image available carries beyond its message: when no source served a
// release file, the daemon's error data lists each source it tried and what that source answered.
// The contract does not type error data, so this reads it defensively and shows nothing it can't.

export interface SourceTried {
  url: string;
  /** What went wrong there ("HTTP 404", "connection refused"); absent when it served the file. */
  detail?: string;
  served: boolean;
}

export function sourcesTried(error: unknown): SourceTried[] {
  if (!(error instanceof RpcError)) return [];
  const attempts = (error.data as { attempts?: unknown } | undefined)?.attempts;
  if (!Array.isArray(attempts)) return [];
  return attempts.flatMap((attempt: unknown): SourceTried[] => {
    if (typeof attempt !== 'object' || attempt === null) return [];
    const { url, outcome, detail } = attempt as Record<string, unknown>;
    if (typeof url !== 'string') return [];
    return [{ url, served: outcome === 'served', ...(typeof detail === 'string' && { detail }) }];
  });
}
