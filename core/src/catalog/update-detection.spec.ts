import { describe, expect, it } from 'vitest';
import { parseCatalogApps } from './catalog-schema.js';
import { availableUpdate } from './update-detection.js';

const { catalog } = parseCatalogApps({
  'bitcoin-core': {
    version: '31.0',
    image: '127.0.0.1:5000/archipelago/bitcoin-core:31.0',
    versions: [
      { version: '31.0', image: '127.0.0.1:5000/archipelago/bitcoin-core:31.0' },
      { version: '28.4', image: '127.0.0.1:5000/archipelago/bitcoin-core:28.4' },
    ],
  },
  'bitcoin-knots': {
    version: '29.3.knots20260508',
    image: '127.0.0.1:5000/archipelago/bitcoin-knots:29.3.knots20260508',
  },
  lnd: { version: '0.18.3-beta', image: '127.0.0.1:5000/apps/lnd:v0.18.3-beta' },
});
const core = catalog.apps['bitcoin-core'];
const knots = catalog.apps['bitcoin-knots'];

describe('availableUpdate', () => {
  it('offers the newer default', () => {
    expect(
      availableUpdate({ installedVersion: '28.4', catalogEntry: core, implementation: 'core' })?.version,
    ).toBe('31.0');
    expect(
      availableUpdate({ installedVersion: '0.18.2-beta', catalogEntry: catalog.apps['lnd'] })?.version,
    ).toBe('0.18.3-beta');
    expect(
      availableUpdate({
        installedVersion: '29.3.knots20260101',
        catalogEntry: knots,
        implementation: 'knots',
      })?.version,
    ).toBe('29.3.knots20260508');
  });

  it('offers nothing when what runs is the default or newer', () => {
    expect(
      availableUpdate({ installedVersion: '31.0', catalogEntry: core, implementation: 'core' }),
    ).toBeUndefined();
    expect(availableUpdate({ installedVersion: '32.0', catalogEntry: core })).toBeUndefined();
  });

  it('lets a pinned version suppress the update', () => {
    expect(
      availableUpdate({ installedVersion: '28.4', catalogEntry: core, pinnedVersion: '28.4' }),
    ).toBeUndefined();
  });

  it('never counts a floating tag, nor a version of the other implementation', () => {
    expect(availableUpdate({ installedVersion: 'latest', catalogEntry: knots })).toBeUndefined();
    expect(
      availableUpdate({ installedVersion: 'stable', catalogEntry: core, implementation: 'core' }),
    ).toBeUndefined();
    expect(
      availableUpdate({ installedVersion: '28.4', catalogEntry: knots, implementation: 'knots' }),
    ).toBeUndefined();
    expect(availableUpdate({ installedVersion: '28.4', catalogEntry: undefined })).toBeUndefined();
  });
});
