import { describe, expect, it } from 'vitest';
import { stepsByApp } from './plan-steps.js';

describe('stepsByApp', () => {
  it('merges each app install and start, keeping dependency order and what to wait for', () => {
    const steps = stepsByApp({
      steps: [
        {
          action: 'install',
          id: 'bitcoin-core',
          version: '28.4',
          reason: 'provides bitcoin-node for lnd',
          waitFor: [],
        },
        {
          action: 'start',
          id: 'bitcoin-core',
          version: '28.4',
          reason: 'provides bitcoin-node for lnd',
          waitFor: [],
        },
        { action: 'install', id: 'lnd', version: '0.18.3', reason: 'requested', waitFor: [] },
        {
          action: 'start',
          id: 'lnd',
          version: '0.18.3',
          reason: 'requested',
          waitFor: [{ id: 'bitcoin-core', requires: 'healthy' }],
        },
      ],
      links: [],
      dependencies: {},
    });
    expect(steps).toEqual([
      { id: 'bitcoin-core', install: true, start: true, waitFor: [] },
      { id: 'lnd', install: true, start: true, waitFor: [{ id: 'bitcoin-core', requires: 'healthy' }] },
    ]);
  });

  it('keeps an install-only dependency stopped and a start-only one uninstalled', () => {
    const steps = stepsByApp({
      steps: [
        { action: 'install', id: 'tor', version: '1', reason: 'needed installed', waitFor: [] },
        { action: 'start', id: 'db', version: '2', reason: 'needed running', waitFor: [] },
      ],
      links: [],
      dependencies: {},
    });
    expect(steps).toEqual([
      { id: 'tor', install: true, start: false, waitFor: [] },
      { id: 'db', install: false, start: true, waitFor: [] },
    ]);
  });
});
