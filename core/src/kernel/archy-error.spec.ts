import { describe, expect, it } from 'vitest';
import { ArchyError, errorDataFor, RpcErrorCode } from './index.js';

describe('ArchyError', () => {
  it('carries its code and the data typed for that code', () => {
    const error = new ArchyError(RpcErrorCode.StartFailed, "'hello' exited", {
      data: { exitCode: 3, logs: ['boom'] },
    });
    expect(error.code).toBe(-32007);
    expect(error.data).toEqual({ exitCode: 3, logs: ['boom'] });
  });

  it('refuses data that does not fit the code (checked by the type check)', () => {
    // @ts-expect-error: a StartFailed carries exitCode and logs, not a plan
    new ArchyError(RpcErrorCode.StartFailed, 'x', { data: { plan: { needs: 'confirmation' } } });
    // @ts-expect-error: Busy carries no data
    new ArchyError(RpcErrorCode.Busy, 'x', { data: { id: 'hello' } });
    expect(true).toBe(true);
  });
});

describe('errorDataFor', () => {
  it('reads data only for the code asked for, and only an object', () => {
    const guard = { guard: { kind: 'downgrade', needs: 'confirmation', rules: [] } };
    expect(errorDataFor({ code: RpcErrorCode.Conflict, data: guard }, RpcErrorCode.Conflict)).toBe(guard);
    expect(errorDataFor({ code: RpcErrorCode.Busy, data: guard }, RpcErrorCode.Conflict)).toBeUndefined();
    expect(
      errorDataFor({ code: RpcErrorCode.Conflict, data: 'guard' }, RpcErrorCode.Conflict),
    ).toBeUndefined();
    expect(errorDataFor({ code: undefined }, RpcErrorCode.Conflict)).toBeUndefined();
  });
});
