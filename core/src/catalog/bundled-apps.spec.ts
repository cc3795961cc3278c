// Every manifest in apps/, read from the repository as a node reads it: it lints, the container
// policy allows each of its services, every image it pulls is pinned by digest, what its scripts
// read from ARCHY_DEP_* comes from a dependency the service uses, and the resolver plans its
// install with the other bundled apps as everything there is to install.

import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, type AppManifest } from '../manifest/index.js';
import {
  assertManifestAllowed,
  DEFAULT_APP_USER,
  hardenContainer,
  parseUserIds,
} from '../security/policy/index.js';
import { planInstall, type InstallRequest } from '../resolver/index.js';

type ServiceSpec = AppManifest['services'][number];

const APPS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../apps');

/** The apps this issue bundles, besides the Bitcoin nodes and the demo page. */
const STACK = ['lnd', 'core-lightning', 'electrs', 'mempool', 'btcpay-server', 'nostr-rs-relay'];

/** Services whose image rewrites its own files at start (mempool's entrypoints): documented in the manifest. */
const WRITABLE_ROOT = ['mempool/web', 'mempool/api'];

const DIGEST_PINNED = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$/;

/** The env-name form of a dependency id, as the daemon writes ARCHY_DEP_<N>_…. */
const envName = (id: string) => id.toUpperCase().replaceAll('-', '_');

/** One service as the policy sees a container: the app with that service's container fields. */
function asContainer(manifest: AppManifest, service: ServiceSpec): AppManifest {
  const { name: _name, dependsOn: _dependsOn, uses: _uses, ...container } = service;
  return { ...manifest, ...container, services: [service], main: service.name };
}

function scriptText(service: ServiceSpec): string {
  return [...(service.entrypoint ?? []), ...(service.command ?? []), ...Object.values(service.env)].join(
    '\n',
  );
}

let manifests: Map<string, AppManifest>;

beforeAll(async () => {
  manifests = new Map();
  for (const entry of await readdir(APPS_DIR, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = join(APPS_DIR, entry.name, 'manifest.yml');
    manifests.set(entry.name, parseManifest(await readFile(file, 'utf8'), file));
  }
});

const all = () => [...manifests.values()];
const get = (id: string) => {
  const manifest = manifests.get(id);
  if (!manifest) throw new Error(`apps/${id}/manifest.yml is missing`);
  return manifest;
};

describe('the bundled manifests', () => {
  it('include the Bitcoin & Lightning stack, each in the folder named by its id', () => {
    for (const id of STACK) expect(get(id).id).toBe(id);
    for (const [folder, manifest] of manifests) expect(manifest.id).toBe(folder);
  });

  it('pass the container policy, every service as its own non-root user with no added capability', () => {
    const writable: string[] = [];
    for (const manifest of all()) {
      expect(() => assertManifestAllowed(manifest)).not.toThrow();
      for (const service of manifest.services) {
        const where = `${manifest.id}/${service.name}`;
        const hardening = hardenContainer(asContainer(manifest, service));
        if (service.image.startsWith('localhost/')) {
          // Built here: no user in the image, so the policy's default applies.
          expect(hardening.fields.user).toBe(service.security.user ?? DEFAULT_APP_USER);
        } else {
          // Pulled: an explicit user, since upstream images mostly run as root, which the policy refuses.
          const user = parseUserIds(service.security.user ?? '', { bareUid: 'uid' });
          expect(user.ok, `${where} names a non-root user`).toBe(true);
          expect(hardening.fields.user).toBe(service.security.user);
        }
        expect(hardening.fields.cap_add, where).toBeUndefined();
        expect(hardening.fields.cap_drop).toEqual(['ALL']);
        if (!service.security.readOnlyRootfs) writable.push(where);
      }
    }
    expect(writable.sort()).toEqual([...WRITABLE_ROOT].sort());
  });

  it('pin every pulled image by tag and digest (images the node builds are local)', () => {
    for (const manifest of all()) {
      for (const service of manifest.services) {
        if (service.image.startsWith('localhost/')) continue;
        expect(service.image, `${manifest.id}/${service.name}`).toMatch(DIGEST_PINNED);
      }
    }
  });

  it('read dependency values only from dependencies the service uses', () => {
    for (const manifest of all()) {
      for (const service of manifest.services) {
        const used = service.uses.map(envName);
        for (const [token] of scriptText(service).matchAll(/ARCHY_DEP_[A-Z0-9_]+/g)) {
          const from = used.find((name) => token.startsWith(`ARCHY_DEP_${name}_`));
          expect(
            from,
            `${manifest.id}/${service.name} reads ${token} but uses [${service.uses.join(', ')}]`,
          ).toBeDefined();
        }
      }
    }
  });

  it('read only ZMQ topics every bitcoin-node provider exports', () => {
    const providers = all().filter((manifest) => manifest.provides.includes('bitcoin-node'));
    expect(providers.map((p) => p.id).sort()).toEqual(['bitcoin-core', 'bitcoin-knots']);
    for (const provider of providers) {
      expect(provider.exports?.['bitcoin-node']).toEqual({
        rpcPort: 8332,
        p2pPort: 8333,
        zmq: { rawblock: 28332, rawtx: 28333, hashblock: 28334, sequence: 28335 },
      });
    }
    const read = new Set<string>();
    for (const manifest of all()) {
      for (const service of manifest.services) {
        for (const [, topic] of scriptText(service).matchAll(/ARCHY_DEP_BITCOIN_NODE_ZMQ_([A-Z]+)/g)) {
          read.add(topic!.toLowerCase());
        }
      }
    }
    expect([...read].sort()).toEqual(['rawblock', 'rawtx']);
    for (const provider of providers) {
      for (const topic of read)
        expect(Object.keys(provider.exports?.['bitcoin-node']?.zmq ?? {})).toContain(topic);
    }
  });

  it('export what a Lightning dependent needs: an endpoint, the TLS certificate and a credential', () => {
    expect(get('lnd').exports?.['lightning-node']).toEqual({
      grpcPort: 10009,
      restPort: 8080,
      tlsCert: { volume: 'lnd', path: 'tls.cert' },
      credential: { kind: 'macaroon', volume: 'lnd', path: 'macaroons/admin.macaroon' },
    });
    expect(get('core-lightning').exports?.['lightning-node']).toMatchObject({
      restPort: 2107,
      credential: { kind: 'rune', volume: 'lightning' },
    });
    // The rune file the export names is the one the container's script writes.
    const cln = get('core-lightning');
    const rune = cln.exports?.['lightning-node']?.credential?.path;
    expect(scriptText(cln.services[0]!)).toContain(`rune=/data/${rune}`);
  });

  it('give electrs only the Bitcoin RPC methods electrs calls', () => {
    expect(get('electrs').dependencies).toEqual([
      expect.objectContaining({ id: 'bitcoin-node', rpcMethods: expect.arrayContaining(['getblock']) }),
    ]);
  });

  it('keep the multi-service apps’ databases to themselves', () => {
    const mempool = get('mempool');
    expect(mempool.services.map((s) => `${s.name}:${s.uses.join('+')}`)).toEqual([
      'web:',
      'api:bitcoin-node+electrum-server',
      'db:',
    ]);
    const btcpay = get('btcpay-server');
    expect(btcpay.services.map((s) => `${s.name}:${s.uses.join('+')}`)).toEqual([
      'server:lightning-node',
      'nbxplorer:bitcoin-node',
      'postgres:',
    ]);
    // Databases publish nothing on the host.
    for (const service of [...mempool.services, ...btcpay.services]) {
      if (['db', 'postgres'].includes(service.name)) expect(service.ports).toEqual([]);
    }
  });

  it('publish distinct host ports, so the whole stack can run on one node', () => {
    const owners = new Map<string, string>();
    for (const manifest of all()) {
      // Core and Knots conflict with each other: they never run together and share 8332/8333.
      if (manifest.id === 'bitcoin-knots') continue;
      for (const port of manifest.ports) {
        const key = `${port.host}/${port.protocol}`;
        expect(owners.get(key), `host port ${key} of ${manifest.id}`).toBeUndefined();
        owners.set(key, manifest.id);
      }
    }
  });
});

describe('the resolver with the bundled apps as the catalog', () => {
  const install = (
    id: string,
    choices: Record<string, string> = {},
    installed: InstallRequest['installed'] = [],
  ) =>
    planInstall({ target: get(id), available: all().map((manifest) => ({ manifest })), installed, choices });
  const steps = (plan: ReturnType<typeof install>) => plan.steps.map((step) => `${step.action} ${step.id}`);

  it('asks which Bitcoin node LND should use when none is installed', () => {
    expect(() => install('lnd')).toThrow(/several apps provide.*bitcoin-core.*bitcoin-knots/);
  });

  it('plans LND on the chosen node, waiting for the node to be healthy', () => {
    const plan = install('lnd', { 'bitcoin-node': 'bitcoin-core' });
    expect(steps(plan)).toEqual(['install bitcoin-core', 'start bitcoin-core', 'install lnd', 'start lnd']);
    expect(plan.steps.at(-1)?.waitFor).toEqual([{ id: 'bitcoin-core', requires: 'healthy' }]);
    expect(plan.links).toContainEqual(
      expect.objectContaining({ dependent: 'lnd', dependency: 'bitcoin-core' }),
    );
  });

  it('plans Mempool with its Electrum server on Knots', () => {
    const plan = install('mempool', { 'bitcoin-node': 'bitcoin-knots' });
    expect(steps(plan)).toEqual([
      'install bitcoin-knots',
      'start bitcoin-knots',
      'install electrs',
      'start electrs',
      'install mempool',
      'start mempool',
    ]);
  });

  it('plans BTCPay Server with LND, and with Core Lightning', () => {
    for (const lightning of ['lnd', 'core-lightning']) {
      const plan = install('btcpay-server', { 'bitcoin-node': 'bitcoin-core', 'lightning-node': lightning });
      expect(steps(plan)).toEqual([
        'install bitcoin-core',
        'start bitcoin-core',
        `install ${lightning}`,
        `start ${lightning}`,
        'install btcpay-server',
        'start btcpay-server',
      ]);
    }
  });

  it('installs only the app itself when its node already runs', () => {
    const core = get('bitcoin-core');
    const running = [{ id: core.id, version: core.version, manifest: core, state: 'running' as const }];
    for (const id of ['lnd', 'core-lightning', 'electrs']) {
      expect(steps(install(id, {}, running))).toEqual([`install ${id}`, `start ${id}`]);
    }
    expect(steps(install('nostr-rs-relay'))).toEqual(['install nostr-rs-relay', 'start nostr-rs-relay']);
  });

  it('plans every bundled app with a node and a Lightning node chosen', () => {
    for (const manifest of all()) {
      const plan = install(manifest.id, { 'bitcoin-node': 'bitcoin-core', 'lightning-node': 'lnd' });
      expect(plan.steps.slice(-2).map((step) => `${step.action} ${step.id}`)).toEqual([
        `install ${manifest.id}`,
        `start ${manifest.id}`,
      ]);
    }
  });
});
