import { describe, expect, it } from 'vitest';
import { manifestIssues } from './spec-issues.js';

const base = 'id: demo\nname: Demo\nversion: "1.0.0"\n';

const issuesOf = manifestIssues;

describe('dependencies[].files', () => {
  it('accepts paths outside /run/secrets and the volumes of the containers using the dependency', () => {
    expect(
      issuesOf(`${base}dependencies: [{ id: lightning-node, files: { tlsCert: /lnd/tls.cert, credential: /lnd/m/admin.macaroon } }]
services:
  app:
    image: registry.example/app:1.0.0
    uses: [lightning-node]
    volumes: [{ mount: /data }]
  db:
    image: registry.example/db:1.0.0
    volumes: [{ name: db, mount: /lnd }]
`),
    ).toEqual([]);
  });

  it('refuses a path under /run/secrets, on or over a volume or tmpfs, and a path named twice — at the key', () => {
    const issues = issuesOf(`${base}image: registry.example/app:1.0.0
volumes: [{ mount: /data }]
security: { tmpfs: [/cache] }
dependencies:
  - id: lightning-node
    files: { tlsCert: /run/secrets/tls.cert, credential: /data/admin.macaroon }
  - id: bitcoin-node
    files: { password: /cache, cookie: /lnd/x }
  - id: other-node
    files: { cookie: /lnd/x }
`);
    expect(issues.join('\n')).toMatch(/files.*tlsCert.*under \/run\/secrets/);
    expect(issues.join('\n')).toMatch(/files.*credential.*collides with the volume at \/data/);
    expect(issues.join('\n')).toMatch(/files.*password.*collides with the tmpfs at \/cache/);
    expect(issues.join('\n')).toMatch(/\/lnd\/x is already named at dependencies\[1\]\.files\.cookie/);
    expect(issues).toHaveLength(4);
  });

  it('refuses a volume mounted inside a file path', () => {
    const issues = issuesOf(`${base}image: registry.example/app:1.0.0
volumes: [{ mount: /lnd/tls.cert/x }]
dependencies: [{ id: lightning-node, files: { tlsCert: /lnd/tls.cert } }]
`);
    expect(issues.join('\n')).toMatch(/collides with the volume at \/lnd\/tls.cert\/x/);
  });
});
