import { describe, expect, it } from 'vitest';
import type { CatalogStatusReport } from '../../api/contract.js';
import { formatCatalogStatus } from './versions.js';

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
