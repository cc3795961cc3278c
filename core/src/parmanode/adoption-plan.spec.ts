import { describe, expect, it } from 'vitest';
import { planAdoption } from './adoption-plan.js';

describe('planAdoption', () => {
  const entries = [
    { app: 'parmanode', state: 'installed' },
    { app: 'bitcoin', state: 'installed' },
    { app: 'electrs', state: 'installed' },
    { app: 'lnd', state: 'installed' },
    { app: 'fulcrum', state: 'unfinished' },
    { app: 'somethingnew', state: 'installed' },
  ] as const;

  it('adopts only the Bitcoin node, as Knots when its banner says so, and says why for the rest', () => {
    const plan = planAdoption({
      entries,
      bitcoin: { datadir: '/media/parman/parmanode/.bitcoin', implementation: 'knots' },
      dataDirs: { electrs: ['/media/parman/parmanode/electrs_db'], lnd: ['/home/parman/.lnd'] },
    });
    expect(plan.map((p) => [p.app, p.action, p.appId])).toEqual([
      ['parmanode', 'nothing-to-do', undefined],
      ['bitcoin', 'adopt', 'bitcoin-knots'],
      ['electrs', 'not-adopted', undefined],
      ['lnd', 'not-adopted', undefined],
      ['fulcrum', 'nothing-to-do', undefined],
      ['somethingnew', 'not-adopted', undefined],
    ]);
    expect(plan[3]!.why).toContain('channel state');
    expect(plan[2]!.dataDirs).toEqual(['/media/parman/parmanode/electrs_db']);
  });

  it('does not adopt a Bitcoin entry whose datadir is missing (the drive unplugged)', () => {
    const [, bitcoin] = planAdoption({ entries, dataDirs: {} });
    expect(bitcoin).toMatchObject({ action: 'not-adopted' });
    expect(bitcoin!.why).toContain('plug the drive in');
  });
});
