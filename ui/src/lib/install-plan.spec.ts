import { describe, expect, it } from 'vitest';
import { choiceQuestion, loginLine, providerChoices, stepLabel, stepReason } from './install-plan';

const names: Record<string, string> = { lnd: 'LND', 'bitcoin-core': 'Bitcoin Core' };
const nameOf = (id: string) => names[id] ?? id;

describe('the words for the install plan', () => {
  it('labels a step with its action, name and version as users see it', () => {
    const step = { app: 'bitcoin-knots', name: 'Bitcoin Knots', version: '29.3.knots20260508' };
    expect(stepLabel({ ...step, action: 'install', why: 'x' })).toBe(
      'Install Bitcoin Knots 29.3 (2026-05-08)',
    );
    expect(stepLabel({ ...step, action: 'restart', why: 'x' })).toBe(
      'Restart Bitcoin Knots 29.3 (2026-05-08)',
    );
  });

  it('says why, with app ids turned to names (interfaces stay as they are)', () => {
    const step = { app: 'bitcoin-core', name: 'Bitcoin Core', version: '31.0', action: 'install' as const };
    expect(stepReason({ ...step, why: 'provides bitcoin-node for lnd' }, nameOf)).toBe(
      'provides bitcoin-node for LND',
    );
    expect(stepReason({ ...step, why: 'requested' }, nameOf)).toBe('the app you asked for');
  });

  it('asks about a Bitcoin node in plain words, and about any other interface by its name', () => {
    const choice = { dependent: 'lnd', candidates: [] };
    expect(choiceQuestion({ ...choice, interface: 'bitcoin-node' }, nameOf)).toBe(
      'Which Bitcoin node should LND use?',
    );
    expect(choiceQuestion({ ...choice, interface: 'electrum-server' }, nameOf)).toBe(
      'Which app should provide electrum-server for LND?',
    );
  });

  it('says who gets which login, and to which methods it is limited', () => {
    expect(loginLine({ dependent: 'lnd', provider: 'bitcoin-core', interface: 'bitcoin-node' }, nameOf)).toBe(
      'LND gets its own RPC login for Bitcoin Core.',
    );
    expect(
      loginLine(
        { dependent: 'lnd', provider: 'bitcoin-core', interface: 'bitcoin-node', methods: ['getblock'] },
        nameOf,
      ),
    ).toBe('LND gets its own RPC login for Bitcoin Core (limited to: getblock).');
  });

  it('sends only the choices made, and none at all when nothing is chosen', () => {
    expect(providerChoices({})).toEqual({});
    expect(providerChoices({ 'bitcoin-node': '' })).toEqual({});
    expect(providerChoices({ 'bitcoin-node': 'bitcoin-knots' })).toEqual({
      choices: { 'bitcoin-node': 'bitcoin-knots' },
    });
  });
});
