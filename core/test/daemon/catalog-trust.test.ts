// Catalog trust and the image-signature escape through a real daemon (real rootless Podman behind
// it, a loopback catalog server, keys made here):
// - what someone who can write DATA_DIR/catalog/ plants — a self-signed "next" root and a catalog
//   with a huge version, in both the current and the old last-good.json layout — is discarded at
//   the next start with a logged reason, the genuine catalog loads, and refreshes still update it;
// - daemon-info lists the registries whose images run unsigned, and the old global switch alone
//   stops the daemon before it starts, saying what to use instead.

import { readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogStatusReport } from '../../src/api/contract.js';
import type { DaemonInfo } from '../../src/api/rpc-methods.js';
import {
  generateSigningKey,
  readSigningKeyFile,
  rotateRoot,
  expiresIn,
  signCatalog,
  type CatalogSigned,
  type Envelope,
  type RootSigned,
} from '../../src/catalog/index.js';
import { registry, tempDataDir, waitFor } from '../support/index.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { writeTestCatalog } from '../support/test-catalog.js';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

async function daemonInfo(daemon: TestDaemon): Promise<DaemonInfo> {
  const token = readFileSync(join(daemon.dataDir, '.cookie'), 'utf8').trim();
  const response = await fetch(`${daemon.url}/rpc/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'daemon-info' }),
  });
  return ((await response.json()) as { result: DaemonInfo }).result;
}

describe('a planted root and a huge catalog version in DATA_DIR/catalog', () => {
  let server: Server | undefined;
  let daemon: TestDaemon | undefined;
  let catalogDir: string;
  let bundled: Envelope<CatalogSigned>;
  let bundledRoot: Envelope<RootSigned>;
  /** What the loopback catalog server answers for /catalog.json; undefined: 503. */
  let served: Envelope<CatalogSigned> | undefined;
  let catalogUrl: string;
  const dataDir = tempDataDir('catalog-trust');

  beforeAll(async () => {
    catalogDir = await writeTestCatalog(tempDataDir('catalog-trust-publisher'));
    bundled = JSON.parse(readFileSync(join(catalogDir, 'catalog.json'), 'utf8')) as Envelope<CatalogSigned>;
    bundledRoot = JSON.parse(readFileSync(join(catalogDir, 'root.json'), 'utf8')) as Envelope<RootSigned>;
    server = createServer((req, res) => {
      if (req.url === '/catalog.json' && served) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
      } else if (req.url === '/catalog.json') res.writeHead(503).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    catalogUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterAll(async () => {
    await daemon?.stop();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  /** The genuine publisher's next catalog: the bundled apps, signed as `version` by the catalog key. */
  async function genuineCatalog(version: number): Promise<Envelope<CatalogSigned>> {
    const key = await readSigningKeyFile(join(catalogDir, '..', 'keys', 'catalog.key'));
    return signCatalog({ ...bundled.signed, version: version - 1 }, [key], { validDays: 30 });
  }

  const startWithCatalog = (env: Record<string, string> = {}) =>
    startDaemon({
      dataDir,
      env: {
        ARCHY_CATALOG_DIR: catalogDir,
        ARCHY_CATALOG_URL: catalogUrl,
        ARCHY_CATALOG_REFRESH_MS: '300',
        ...env,
      },
    });

  const catalogStatus = (d: TestDaemon) => d.cliJson<CatalogStatusReport>(['catalog']);

  it('discards them at the restart; the genuine catalog loads and still updates', async () => {
    // A node that took a genuine refresh (version 2), then stopped.
    served = await genuineCatalog(2);
    daemon = await startWithCatalog();
    await waitFor(async () => (await catalogStatus(daemon!)).metadataVersion === 2, {
      what: 'the genuine catalog version 2',
      timeoutMs: 20_000,
    });
    await daemon.stop();

    // The plant: a "root 2" signed only by the attacker's own key, and a catalog it signed with a
    // version no genuine catalog will ever reach — in the file layout and in the old one (`root`).
    const attacker = generateSigningKey();
    const forgedRoot = rotateRoot(
      bundledRoot,
      {
        rootKeys: [attacker.publicKey],
        rootThreshold: 1,
        catalogKeys: [attacker.publicKey],
        catalogThreshold: 1,
        expires: expiresIn(new Date(), 3650),
      },
      { oldRootKeys: [], newRootKeys: [attacker] },
    );
    const hugeCatalog = signCatalog({ ...bundled.signed, version: 999_999_999_998 }, [attacker]);
    const catalogState = join(dataDir, 'catalog');
    await mkdir(join(catalogState, 'roots'), { recursive: true });
    await writeFile(join(catalogState, 'roots', '2.root.json'), json(forgedRoot));
    await writeFile(
      join(catalogState, 'last-good.json'),
      json({
        root: forgedRoot,
        roots: [forgedRoot],
        catalog: hugeCatalog,
        fetchedAt: new Date().toISOString(),
        url: catalogUrl,
      }),
    );

    // Restart while the catalog server is down: what loads is the genuine (bundled) catalog.
    served = undefined;
    daemon = await startWithCatalog({ ARCHY_UNSIGNED_REGISTRIES: '' });
    expect(await catalogStatus(daemon)).toMatchObject({
      source: 'bundled',
      rootVersion: 1,
      metadataVersion: 1,
    });
    expect(daemon.log()).toMatch(
      /discarding stored root roots\/2\.root\.json: it does not chain to the bundled root \(version 1\): root version 2 \(by the keys of root version 1\) has 0 valid signatures/,
    );
    expect(daemon.log()).toMatch(
      /ignoring the stored catalog: catalog version 999999999999 has 0 valid signatures/,
    );
    const quarantined = await readdir(join(catalogState, 'quarantine'));
    expect(quarantined.filter((name) => name.endsWith('-2.root.json'))).toHaveLength(1);
    expect(await readdir(join(catalogState, 'roots'))).toEqual([]);

    // The publisher's next catalogs are taken: the huge version set no high-water mark.
    served = await genuineCatalog(3);
    await waitFor(async () => (await catalogStatus(daemon!)).metadataVersion === 3, {
      what: 'the genuine catalog version 3 after the restart',
      timeoutMs: 20_000,
    });
    served = await genuineCatalog(4);
    const status = await waitFor(
      async () => {
        const report = await catalogStatus(daemon!);
        return report.metadataVersion === 4 && report;
      },
      { what: 'the genuine catalog version 4', timeoutMs: 20_000 },
    );
    expect(status).toMatchObject({ source: 'stored', rootVersion: 1, expired: false });
  });

  it('daemon-info shows no unsigned registry when the escape is off', async () => {
    expect((await daemonInfo(daemon!)).unsignedRegistries).toEqual([]);
  });
});

describe('the image-signature escape', () => {
  it('is limited to named registries and shown in daemon-info', async () => {
    const daemon = await startDaemon({ dataDir: tempDataDir('unsigned-escape') });
    try {
      expect((await daemonInfo(daemon)).unsignedRegistries).toEqual([registry()]);
      expect(daemon.log()).toContain(
        `images from ${registry()} run WITHOUT a signature check (the development escape); development only`,
      );
    } finally {
      await daemon.stop();
    }
  });

  it('takes the old switch only for the named development registries, and opens nothing alone', async () => {
    const scoped = await startDaemon({
      dataDir: tempDataDir('unsigned-old-switch'),
      env: { ARCHY_ALLOW_UNSIGNED: '1', ARCHY_UNSIGNED_REGISTRIES: '' },
    });
    try {
      // The harness names its registry in ARCHY_INSECURE_REGISTRIES: the old switch covers that one.
      expect((await daemonInfo(scoped)).unsignedRegistries).toEqual([registry()]);
      expect(scoped.log()).toContain('ARCHY_ALLOW_UNSIGNED=1 covers only the development registries');
    } finally {
      await scoped.stop();
    }
    const alone = await startDaemon({
      dataDir: tempDataDir('unsigned-old-switch-alone'),
      env: { ARCHY_ALLOW_UNSIGNED: '1', ARCHY_UNSIGNED_REGISTRIES: '', ARCHY_INSECURE_REGISTRIES: '' },
    });
    try {
      expect((await daemonInfo(alone)).unsignedRegistries).toEqual([]);
      expect(alone.log()).toMatch(/ARCHY_ALLOW_UNSIGNED=1 is ignored: .*every image needs a signature/);
    } finally {
      await alone.stop();
    }
  });
});
