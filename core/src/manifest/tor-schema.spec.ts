import { describe, expect, it } from 'vitest';
import { manifestIssues } from './spec-issues.js';
import { parseManifest } from './parse.js';

const base = `id: demo
name: Demo
version: "1.0.0"
image: registry.example/demo:1.0.0
`;

const problems = manifestIssues;

describe('the manifest’s tor: block', () => {
  it('defaults to clearnet with no onions, and keeps what it is given', () => {
    expect(parseManifest(`${base}tor: {}\n`, 'm.yml').tor).toEqual({ default: 'clearnet', onions: [] });
    const manifest = parseManifest(
      `${base}tor:
  default: tor
  onions: [{ port: 9735, name: p2p }, { port: 8080, virtualPort: 80 }]
  args: ["--tor.socks=\${ARCHY_TOR_SOCKS}", "--tor.password=\${ARCHY_TOR_CONTROL_PASSWORD}"]
  clearnetEffect: Peers see your IP address.
`,
      'm.yml',
    );
    expect(manifest.tor).toEqual({
      default: 'tor',
      onions: [
        { port: 9735, name: 'p2p' },
        { port: 8080, virtualPort: 80 },
      ],
      args: ['--tor.socks=${ARCHY_TOR_SOCKS}', '--tor.password=${ARCHY_TOR_CONTROL_PASSWORD}'],
      clearnetEffect: 'Peers see your IP address.',
    });
  });

  it('refuses two onions on one onion port or with one name', () => {
    const found = problems(`${base}tor:
  onions: [{ port: 80 }, { port: 8080, virtualPort: 80, name: port-80 }]
`);
    expect(found.join('\n')).toMatch(/the onion port 80 is already used by onions\[0\]/);
    expect(found.join('\n')).toMatch(/onion 'port-80' is already named at onions\[0\]/);
  });

  it('refuses a reference the app cannot be given in its Tor args', () => {
    expect(problems(`${base}tor: { args: ["\${ARCHY_DEP_BITCOIN_NODE_HOST}"] }\n`).join('\n')).toMatch(
      /ARCHY_DEP_BITCOIN_NODE_HOST/,
    );
  });
});
