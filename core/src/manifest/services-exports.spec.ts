// exports: on an app of several services. The files a lightning-node export names live in the
// volumes of the services (a multi-service manifest has no top-level volumes:), and the check
// reads them there.

import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest } from './index.js';

const FILE = 'lightning.yml';
const manifest = (volume: string) =>
  [
    'id: lightning',
    'name: Lightning',
    'version: "1.0.0"',
    'services:',
    '  node:',
    '    image: 127.0.0.1:5000/apps/node:1.0.0',
    '    volumes: [{ mount: /data, name: node }]',
    '  ui:',
    '    image: 127.0.0.1:5000/apps/ui:1.0.0',
    '    volumes: [{ mount: /data, name: ui }]',
    'provides: [lightning-node]',
    'exports:',
    '  lightning-node:',
    '    restPort: 8080',
    `    tlsCert: { volume: ${volume}, path: tls.cert }`,
    '',
  ].join('\n');

describe('exports of a multi-service app', () => {
  it('accept a file in any service’s volume', () => {
    for (const volume of ['node', 'ui']) {
      expect(parseManifest(manifest(volume), FILE).exports?.['lightning-node']?.tlsCert).toEqual({
        volume,
        path: 'tls.cert',
      });
    }
  });

  it('refuse a volume no service has, naming the ones there are', () => {
    expect(() => parseManifest(manifest('lnd'), FILE)).toThrow(ManifestError);
    expect(() => parseManifest(manifest('lnd'), FILE)).toThrow(
      /'lnd' is not one of the app's volumes \('node', 'ui'\)/,
    );
  });
});
