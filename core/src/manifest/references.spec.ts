import { describe, expect, it } from 'vitest';
import { manifestIssues } from './spec-issues.js';
import { parseManifest } from './parse.js';
import { allowedReferences, checkReferenceText, referencesIn, splitReferences } from './references.js';

describe('splitReferences', () => {
  it('reads ${ARCHY_…} as references and leaves every other $ to the shell', () => {
    expect(splitReferences('--rpcpass=${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}!')).toEqual([
      { literal: '--rpcpass=' },
      { reference: 'ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD' },
      { literal: '!' },
    ]);
    const shell = '"${ARCHY_DEP_X_FILE:-}" ${cookie%%:*} $$ $HOME ${lower}';
    expect(splitReferences(shell)).toEqual([{ literal: shell }]);
    expect(splitReferences('')).toEqual([{ literal: '' }]);
    expect(referencesIn('${ARCHY_APP_ID}${ARCHY_APP_ID}')).toEqual(['ARCHY_APP_ID', 'ARCHY_APP_ID']);
  });
});

describe('allowedReferences', () => {
  it('offers each dependency’s names by its interface, secrets marked', () => {
    const allowed = allowedReferences(['bitcoin-node', 'lightning-node', 'electrum']);
    expect(allowed.get('ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD')).toBe('secret');
    expect(allowed.get('ARCHY_DEP_BITCOIN_NODE_ZMQ_RAWBLOCK_PORT')).toBe('plain');
    expect(allowed.get('ARCHY_DEP_LIGHTNING_NODE_REST_PORT')).toBe('plain');
    expect(allowed.get('ARCHY_DEP_ELECTRUM_PORT')).toBe('plain');
    expect(allowed.get('ARCHY_APP_PASSWORD')).toBe('secret');
    expect(allowed.has('ARCHY_DEP_ELECTRUM_RPC_PASSWORD')).toBe(false);
  });

  it('names what may be used when a reference is unknown', () => {
    const problem = checkReferenceText('${ARCHY_DEP_BITCOIN_NODE_RPC_USER}', allowedReferences([]));
    expect(problem).toMatch(
      /references \$\{ARCHY_DEP_BITCOIN_NODE_RPC_USER\}, which this container cannot use/,
    );
    expect(problem).toMatch(/\$\{ARCHY_APP_PASSWORD\}/);
  });
});

const base = `id: imported
name: Imported
version: "1.0.0"
`;

const issuesOf = manifestIssues;

describe('manifest references, origin, dependency files and web login', () => {
  it('accepts references a service may use and keeps origin and webLogin', () => {
    const manifest = parseManifest(
      `${base}origin: { kind: umbrel, app: demo, upstreamVersion: "v2.1" }
webLogin: { username: umbrel, password: "\${ARCHY_APP_PASSWORD}" }
dependencies:
  - id: bitcoin-node
  - id: lightning-node
    files: { tlsCert: /lnd/tls.cert, credential: /lnd/admin.macaroon }
services:
  app:
    image: registry.example/app:1.0.0
    uses: [bitcoin-node, lightning-node]
    env:
      RPC_PASS: "\${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}"
    command: ["--lnd=\${ARCHY_DEP_LIGHTNING_NODE_HOST}:\${ARCHY_DEP_LIGHTNING_NODE_GRPC_PORT}"]
`,
      'm.yml',
    );
    expect(manifest.origin).toEqual({ kind: 'umbrel', app: 'demo', upstreamVersion: 'v2.1' });
    expect(manifest.webLogin).toEqual({ username: 'umbrel', password: '${ARCHY_APP_PASSWORD}' });
    expect(manifest.dependencies[1]!.files).toEqual({
      tlsCert: '/lnd/tls.cert',
      credential: '/lnd/admin.macaroon',
    });
  });

  it('refuses a reference to a dependency the service does not use, at the key', () => {
    const issues = issuesOf(`${base}dependencies: [{ id: bitcoin-node }]
services:
  app:
    image: registry.example/app:1.0.0
    env: { RPC_USER: "\${ARCHY_DEP_BITCOIN_NODE_RPC_USER}" }
`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/services.*app.*env.*RPC_USER/);
    expect(issues[0]).toMatch(/cannot use/);
  });

  it('refuses an unknown origin kind and a relative dependency file path', () => {
    const issues = issuesOf(`${base}image: registry.example/app:1.0.0
origin: { kind: docker, app: x, upstreamVersion: "1" }
dependencies: [{ id: lightning-node, files: { tlsCert: tls.cert } }]
`);
    expect(issues.some((issue) => /origin/.test(issue))).toBe(true);
    expect(issues.some((issue) => /files/.test(issue) && /absolute/.test(issue))).toBe(true);
  });

  it('leaves the shell of bundled manifests alone', () => {
    expect(
      issuesOf(`${base}image: registry.example/app:1.0.0
command: ["sh", "-c", "echo \${ARCHY_DEP_X:-none} \${cookie%%:*} $$"]
`),
    ).toEqual([]);
  });
});
