import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/index.js';
import { appExcludes, snapshotInfo, snapshotTags, versionTags } from './snapshot-layout.js';

const node = parseManifest(
  [
    'id: node-x',
    'name: Node',
    'version: "31.0"',
    'image: 127.0.0.1:5000/archy-test/bitcoin-core:31.0',
    'volumes: [{ mount: /data, name: bitcoin }]',
    'bitcoin: { implementation: core, network: regtest, datadir: /data }',
    '',
  ].join('\n'),
  'node.yml',
);
const hello = parseManifest(
  [
    'id: hello',
    'name: Hello',
    'version: "1.0.0"',
    'image: 127.0.0.1:5000/x:1',
    'volumes: [{ mount: /d, name: d }]',
    '',
  ].join('\n'),
  'hello.yml',
);

describe('snapshot layout', () => {
  it("leaves out Tor's cache always, and Bitcoin's chain files of every network unless asked", () => {
    expect(appExcludes(hello, { includeChain: false })).toEqual(['apps/hello/.tor/data']);
    const excluded = appExcludes(node, { includeChain: false });
    expect(excluded).toEqual(
      expect.arrayContaining([
        'apps/node-x/bitcoin/blocks',
        'apps/node-x/bitcoin/chainstate',
        'apps/node-x/bitcoin/indexes',
        'apps/node-x/bitcoin/regtest/blocks',
        'apps/node-x/bitcoin/testnet4/chainstate',
        'apps/node-x/bitcoin/signet/indexes',
      ]),
    );
    // Relative patterns: they hold whatever the data dir is.
    expect(excluded.every((pattern) => !pattern.startsWith('/'))).toBe(true);
    expect(appExcludes(node, { includeChain: true })).toEqual(['apps/node-x/.tor/data']);
  });

  it('reads a snapshot back from its tags', () => {
    const tags = [
      ...snapshotTags(['hello', 'node-x'], 'schedule', true),
      ...versionTags([{ id: 'hello', version: '1.0.0' }]),
    ];
    expect(snapshotInfo({ id: 'a'.repeat(64), time: '2026-12-06T10:00:00Z', tags })).toEqual({
      id: 'a'.repeat(64),
      shortId: 'aaaaaaaa',
      time: '2026-12-06T10:00:00Z',
      apps: [
        { id: 'hello', version: '1.0.0' },
        { id: 'node-x', version: '' },
      ],
      reason: 'schedule',
      includesChain: true,
    });
  });
});
