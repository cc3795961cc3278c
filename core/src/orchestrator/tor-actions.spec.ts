import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/index.js';
import { onionAddRefusal, torModeMessage } from './tor-actions.js';

const manifest = parseManifest(
  `id: demo
name: Demo
version: "1.0.0"
image: registry.example/demo:1.0.0
tor:
  default: tor
  onions: [{ port: 50001, name: electrum }, { port: 8080, virtualPort: 80 }]
  clearnetEffect: Peers see your IP address.
`,
  'm.yml',
);

describe('a user’s onion', () => {
  it('may name any port the manifest has no onion for', () => {
    expect(onionAddRefusal('demo', manifest, [], { port: 4224 })).toBeUndefined();
    expect(onionAddRefusal('demo', manifest, [], { port: 3000, virtualPort: 443 })).toBeUndefined();
  });

  it('is refused on a port or onion port the manifest’s onions use', () => {
    expect(onionAddRefusal('demo', manifest, [], { port: 50001 })).toMatch(
      /already has the onion 'electrum' for port 50001 from its manifest/,
    );
    expect(onionAddRefusal('demo', manifest, [], { port: 9000, virtualPort: 80 })).toMatch(
      /onion port 80 of 'demo' is taken by its manifest's onion 'port-8080'/,
    );
  });

  it('is refused twice on one port or one onion port', () => {
    expect(onionAddRefusal('demo', manifest, [{ port: 3000 }], { port: 3000 })).toMatch(
      /remove it first: archy onion remove demo 3000/,
    );
    expect(onionAddRefusal('demo', manifest, [{ port: 3000 }], { port: 3001, virtualPort: 3000 })).toMatch(
      /taken by your onion for port 3000/,
    );
  });
});

describe('what a mode change says', () => {
  it('names the clearnet effect when Tor goes off, and nothing when nothing changed', () => {
    expect(torModeMessage('demo', manifest, 'tor', 'clearnet')).toBe(
      "'demo' was recreated without Tor. Peers see your IP address.",
    );
    expect(torModeMessage('demo', manifest, 'tor', 'tor')).toMatch(
      /already runs through Tor; nothing changed/,
    );
    expect(torModeMessage('demo', { ...manifest, bitcoin: undefined }, 'clearnet', 'tor')).toMatch(
      /recreated on its own Tor/,
    );
  });
});
