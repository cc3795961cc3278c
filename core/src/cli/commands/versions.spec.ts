import { describe, expect, it } from 'vitest';
import type { CatalogStatusReport, VersionChangePlanReport } from '../../api/contract.js';
import { formatCatalogStatus, formatPlan } from './versions.js';

const status: CatalogStatusReport = {
  source: 'stored',
  metadataVersion: 7,
  rootVersion: 2,
  expires: '2026-07-01T00:00:00Z',
  expired: false,
  apps: [{ id: 'bitcoin-core', defaultVersion: '31.0', versions: ['31.0', '30.0'] }],
};

describe('formatCatalogStatus', () => {
  it('says when the catalog expired, and that auto-updates wait for a fresh one', () => {
    expect(formatCatalogStatus(status)).not.toContain('EXPIRED');
    expect(formatCatalogStatus({ ...status, expired: true })).toMatch(
      /expires: +2026-07-01T00:00:00Z \(EXPIRED: auto-updates are paused until a fresh signed catalog arrives\)/,
    );
  });
});

describe('formatPlan', () => {
  const plan: VersionChangePlanReport = {
    op: 'switch-implementation',
    from: { id: 'bitcoin-core', version: '29.3', display: '29.3' },
    to: {
      id: 'bitcoin-knots',
      version: '28.1.knots20250305',
      display: '28.1 (2025-03-05)',
      image: 'r/k:28.1',
    },
    direction: 'downgrade',
    allowed: false,
    needs: 'typed-confirmation',
    confirmable: true,
    confirm: { confirmSwitch: true, confirmDowngrade: true, confirmResync: 'bitcoin-knots' },
    typedText: 'bitcoin-knots',
    reindex: 'full',
    startArgs: ['-reindex'],
    warning: 'switching … would re-download the whole chain',
    refusal: 'downgrading … confirm with --confirm-downgrade and by typing the app id (bitcoin-knots)',
    reasons: [{ rule: 'older-release-series', effect: 'needs-reindex-chainstate', reason: 'older series' }],
    datadirVersion: { implementation: 'core', version: '29.3', evidence: 'the recorded version' },
  };

  it('says what would happen and which flags confirm it', () => {
    const text = formatPlan(plan);
    expect(text.split('\n')[0]).toBe(
      'bitcoin-core 29.3 → bitcoin-knots 28.1 (2025-03-05) (dry run: nothing was changed)',
    );
    expect(text).toMatch(/would go ahead:\s+no/);
    expect(text).toMatch(
      /needs:\s+typed-confirmation \(--confirm-switch --confirm-downgrade --confirm-resync bitcoin-knots\)/,
    );
    expect(text).toMatch(/first start with:\s+-reindex/);
    expect(text).toContain('rule older-release-series (needs-reindex-chainstate): older series');
    expect(text).toContain('refused as asked: downgrading');
  });

  it('says when no confirmation helps', () => {
    expect(formatPlan({ ...plan, confirmable: false, confirm: {} })).toMatch(
      /needs:\s+refused whatever is confirmed/,
    );
  });
});
