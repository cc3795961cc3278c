import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/index.js';
import { inForeground } from './manifest-of-record.js';

const NODE = `
id: bitcoin-core
name: Bitcoin Core
version: "31.0"
image: 127.0.0.1:5000/archy-test/bitcoin-core:31.0
command: ["bitcoind", "-datadir=/data"]
volumes:
  - mount: /data
    name: bitcoin
security:
  user: "1000:1000"
bitcoin:
  implementation: core
  network: mainnet
  datadir: /data
`;

describe('inForeground', () => {
  it("adds -daemon=0 to an adopted node's command (main service too), once", () => {
    const manifest = inForeground(parseManifest(NODE, 'manifest.yml'));
    expect(manifest.command).toEqual(['bitcoind', '-datadir=/data', '-daemon=0']);
    expect(manifest.services.find((s) => s.name === manifest.main)?.command).toEqual(manifest.command);
    expect(inForeground(manifest).command).toEqual(manifest.command);
  });
});
