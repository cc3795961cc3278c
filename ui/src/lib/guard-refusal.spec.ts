import { describe, expect, it } from 'vitest';
import { RpcError } from '../api/container-client';
import { confirmable, consentGiven, guardConfirmation, guardRefusal, webWording } from './guard-refusal';

// The version guard's refusals as the daemon sends them (code Conflict, data.guard), read for the UI.

const CONFLICT = -32003;
const reindex =
  "downgrading bitcoin-core 31.0 → 29.3 needs a reindex of the chainstate (hours); confirm with --confirm-downgrade. 'bitcoin-core' was not started";
const resync =
  'downgrading bitcoin-core 31.0 → 29.3 would re-download the whole chain: this node is pruned, so it cannot reindex ' +
  "from local blocks; to accept, confirm with --confirm-downgrade and by typing the app id (bitcoin-core). 'bitcoin-core' was not restarted";

describe('guardRefusal', () => {
  it('reads what the guard needs, with the CLI way of confirming put as the web one', () => {
    const refusal = guardRefusal(
      new RpcError(CONFLICT, reindex, {
        guard: { kind: 'downgrade', needs: 'confirmation', rules: ['older-release-series', 7] },
      }),
    );
    expect(refusal).toEqual({
      message:
        "downgrading bitcoin-core 31.0 → 29.3 needs a reindex of the chainstate (hours); confirm below. 'bitcoin-core' was not started",
      needs: 'confirmation',
      kind: 'downgrade',
      rules: ['older-release-series'],
    });
    expect(confirmable(refusal!)).toBe(true);

    const typed = guardRefusal(
      new RpcError(CONFLICT, resync, {
        guard: { kind: 'downgrade', needs: 'typed-confirmation', rules: [] },
      }),
    )!;
    expect(typed.message).toContain('to accept, confirm below by typing the app id (bitcoin-core).');
    expect(typed.message).not.toContain('--confirm');
  });

  it('is no guard refusal for another conflict, another code or data it cannot read', () => {
    expect(guardRefusal(new RpcError(CONFLICT, 'stop bitcoin-knots first'))).toBeUndefined();
    expect(
      guardRefusal(new RpcError(CONFLICT, 'set-version refused', { plan: { needs: 'confirmation' } })),
    ).toBeUndefined();
    expect(
      guardRefusal(new RpcError(-32603, reindex, { guard: { needs: 'confirmation', rules: [] } })),
    ).toBeUndefined();
    expect(guardRefusal(new RpcError(CONFLICT, reindex, { guard: { needs: 'maybe' } }))).toBeUndefined();
    expect(guardRefusal(new Error(reindex))).toBeUndefined();
  });

  it('a refusal nothing can confirm stays one', () => {
    const refusal = guardRefusal(
      new RpcError(CONFLICT, 'downgrading bitcoin-core 28.4 → 27.2 is refused: blocks/xor.dat', {
        guard: { kind: 'downgrade', needs: 'nothing', rules: ['xor-key-from-28'] },
      }),
    )!;
    expect(confirmable(refusal)).toBe(false);
    expect(consentGiven(refusal, 'bitcoin-core', 'bitcoin-core')).toBe(false);
  });
});

describe('the confirmation sent back', () => {
  const base = { message: 'x', kind: 'downgrade', rules: [] };

  it('a yes is confirmDowngrade', () => {
    const refusal = { ...base, needs: 'confirmation' as const };
    expect(consentGiven(refusal, 'bitcoin-core', '')).toBe(true);
    expect(guardConfirmation(refusal)).toEqual({ confirmDowngrade: true });
  });

  it('a pruned node also needs the app id typed, sent as confirmResync', () => {
    const refusal = { ...base, needs: 'typed-confirmation' as const };
    expect(consentGiven(refusal, 'bitcoin-core', '')).toBe(false);
    expect(consentGiven(refusal, 'bitcoin-core', 'bitcoin-knots')).toBe(false);
    expect(consentGiven(refusal, 'bitcoin-core', ' bitcoin-core ')).toBe(true);
    expect(guardConfirmation(refusal, ' bitcoin-core ')).toEqual({
      confirmDowngrade: true,
      confirmResync: 'bitcoin-core',
    });
  });
});

describe('guardRefusal reads data.guard only', () => {
  it("is no guard refusal when the data is a set-version's plan (the version card plans before it sends)", () => {
    expect(guardRefusal(new RpcError(CONFLICT, 'x', { plan: { needs: 'confirmation' } }))).toBeUndefined();
    expect(guardRefusal(new RpcError(CONFLICT, 'x', { needs: 'confirmation' }))).toBeUndefined();
  });
});

describe('webWording', () => {
  it('leaves a message without the CLI flag as it is', () => {
    const message = 'bitcoin-core 29.3 is refused: blocks/xor.dat. Stay on 31.0';
    expect(webWording(message)).toBe(message);
  });
});
