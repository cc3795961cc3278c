import { RpcErrorCode } from '@archipelago/core/contract';
import { RpcError } from '../api/container-client';

// What a refusal to make an image available carries beyond its message: when no source served a
// release file, the daemon's error data lists each source it tried and what that source answered.
// The contract types that data (an ImageUnavailable's `attempts`); its values are still checked,
// since a daemon of another version may send entries this UI cannot show.

export interface SourceTried {
  url: string;
  /** What went wrong there ("HTTP 404", "connection refused"); absent when it served the file. */
  detail?: string;
  served: boolean;
}

export function sourcesTried(error: unknown): SourceTried[] {
  if (!(error instanceof RpcError)) return [];
  const data = error.dataFor(RpcErrorCode.ImageUnavailable);
  const attempts = data && 'attempts' in data && Array.isArray(data.attempts) ? data.attempts : [];
  return attempts
    .filter((attempt) => typeof attempt?.url === 'string')
    .map(({ url, outcome, detail }) => ({
      url,
      served: outcome === 'served',
      ...(typeof detail === 'string' && { detail }),
    }));
}
