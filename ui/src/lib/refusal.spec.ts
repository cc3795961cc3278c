import { describe, expect, it } from 'vitest';
import { RpcError } from '../api/container-client';
import { sourcesTried } from './refusal';

// An ImageUnavailable refusal's data as the daemon sends it (kernel/error-data.ts: `attempts`).

const IMAGE_UNAVAILABLE = -32006;

describe('sourcesTried', () => {
  it("lists each source an ImageUnavailable refusal's data names", () => {
    const error = new RpcError(IMAGE_UNAVAILABLE, 'no source served bitcoin-29.3.tar.gz', {
      check: 'download',
      attempts: [
        { source: 'primary', url: 'https://a.example/x.tar.gz', outcome: 'unavailable', detail: 'HTTP 404' },
        { source: 'mirror', url: 'https://b.example/x.tar.gz', outcome: 'served' },
      ],
    });
    expect(sourcesTried(error)).toEqual([
      { url: 'https://a.example/x.tar.gz', served: false, detail: 'HTTP 404' },
      { url: 'https://b.example/x.tar.gz', served: true },
    ]);
  });

  it('is empty for another code, data without attempts, or another error', () => {
    expect(sourcesTried(new RpcError(-32003, 'x', { attempts: [{ url: 'u', outcome: 'served' }] }))).toEqual(
      [],
    );
    expect(sourcesTried(new RpcError(IMAGE_UNAVAILABLE, 'x', { reason: 'unsigned', image: 'i' }))).toEqual(
      [],
    );
    expect(sourcesTried(new RpcError(IMAGE_UNAVAILABLE, 'x', 'attempts'))).toEqual([]);
    expect(sourcesTried(new Error('x'))).toEqual([]);
  });
});
