import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/index.js';
import { checkRpcAuth, SecretStore } from '../security/secrets/index.js';
import { connectionInfo } from './connection-info.js';
import { lndconnectUri, pemToDer } from './lndconnect.js';
import {
  deleteDependentLogin,
  dependentLogin,
  ensureDependentLogin,
  rotateDependentLogin,
  rpcauthLine,
} from './rpc-credentials.js';

// A PEM block around known bytes: what lndconnect needs is exactly the DER inside.
const DER = Buffer.from([0x30, 0x82, 0x01, 0x0a, 0xff, 0xfe, 0x00, 0x7f]);
const PEM = `-----BEGIN CERTIFICATE-----\n${DER.toString('base64')}\n-----END CERTIFICATE-----\n`;
const MACAROON = Buffer.from([0x02, 0x01, 0x03, 0x6c, 0x6e, 0x64, 0xfb, 0xff]);

const lnd = parseManifest(
  [
    'id: lnd',
    'name: LND',
    'version: "0.18.0"',
    'image: 127.0.0.1:5000/archy-test/lnd:0.18.0',
    'ports: [{ container: 10009, host: 10009 }, { container: 8080, host: 8081, expose: local }]',
    'volumes: [{ mount: /data, name: lnd }]',
    'provides: [lightning-node]',
    'exports:',
    '  lightning-node:',
    '    grpcPort: 10009',
    '    restPort: 8080',
    '    tlsCert: { volume: lnd, path: tls.cert }',
    '    credential: { kind: macaroon, volume: lnd, path: admin.macaroon }',
  ].join('\n'),
  'lnd.yml',
);

describe('lndconnect', () => {
  it('carries the certificate as base64url DER and the macaroon as base64url, unpadded', () => {
    expect(pemToDer(PEM)).toEqual(DER);
    expect(lndconnectUri({ host: '192.168.1.5', port: 10009, certPem: PEM, macaroon: MACAROON })).toBe(
      `lndconnect://192.168.1.5:10009?cert=${DER.toString('base64url')}&macaroon=${MACAROON.toString('base64url')}`,
    );
    expect(lndconnectUri({ host: 'fd00::1', port: 10009, macaroon: MACAROON })).toMatch(
      /^lndconnect:\/\/\[fd00::1\]:10009\?macaroon=/,
    );
  });
});

describe('connection info', () => {
  it('shows secrets and the URI only when revealed, and published host ports', () => {
    const sources = { manifest: lnd, host: '192.168.1.5', lightning: { certPem: PEM, credential: MACAROON } };
    const hidden = connectionInfo({ ...sources, reveal: false });
    expect(hidden.interfaces).toHaveLength(1);
    const entry = hidden.interfaces[0]!;
    expect(entry.endpoints).toEqual([
      { name: 'gRPC', url: '192.168.1.5:10009' },
      { name: 'REST (this machine only)', url: 'https://127.0.0.1:8081' },
    ]);
    expect(entry.credentials).toEqual([
      { name: 'TLS certificate', secret: false, value: PEM },
      { name: 'Macaroon (hex)', secret: true },
    ]);
    expect(entry.uri).toBeUndefined();
    const shown = connectionInfo({ ...sources, reveal: true }).interfaces[0]!;
    expect(shown.credentials[1]).toEqual({
      name: 'Macaroon (hex)',
      secret: true,
      value: MACAROON.toString('hex'),
    });
    expect(shown.uri).toMatch(/^lndconnect:\/\/192\.168\.1\.5:10009\?cert=/);
  });
});

describe("a dependent's RPC login", () => {
  let dir: string;
  let store: SecretStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archy-logins-'));
    store = new SecretStore(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is made once, kept, rotated to a new password and deleted', async () => {
    const login = await ensureDependentLogin(store, 'lnd');
    expect(login.user).toBe('archy-lnd');
    expect(await ensureDependentLogin(store, 'lnd')).toEqual(login);
    expect(await store.get('lnd', 'bitcoin-rpc-cookie')).toBe(`archy-lnd:${login.password}`);
    expect(checkRpcAuth(rpcauthLine(login), 'archy-lnd', login.password)).toBe(true);

    const rotated = await rotateDependentLogin(store, 'lnd');
    expect(rotated.password).not.toBe(login.password);
    expect(await dependentLogin(store, 'lnd')).toEqual(rotated);
    expect(await store.get('lnd', 'bitcoin-rpc-cookie')).toBe(`archy-lnd:${rotated.password}`);

    expect(await deleteDependentLogin(store, 'lnd')).toBe(true);
    expect(await dependentLogin(store, 'lnd')).toBeUndefined();
    expect(await store.list('lnd')).toEqual([]);
  });
});

describe("an app's web login", () => {
  const app = parseManifest(
    'id: shop\nname: Shop\nversion: "1.0.0"\nimage: registry.example/shop:1.0.0\nwebLogin: { username: umbrel, password: "${ARCHY_APP_PASSWORD}" }\n',
    'shop.yml',
  );

  it('shows the user name and hides the password unless revealed', () => {
    const hidden = connectionInfo({
      manifest: app,
      host: 'h',
      reveal: false,
      webLogin: { username: 'umbrel', password: '' },
    });
    expect(hidden.interfaces).toEqual([
      {
        name: 'web-login',
        endpoints: [],
        credentials: [
          { name: 'Username', secret: false, value: 'umbrel' },
          { name: 'Password', secret: true },
        ],
      },
    ]);
    const shown = connectionInfo({
      manifest: app,
      host: 'h',
      reveal: true,
      webLogin: { username: 'umbrel', password: 'p4ss' },
    });
    expect(shown.interfaces[0]!.credentials[1]).toEqual({ name: 'Password', secret: true, value: 'p4ss' });
  });
});
