// `archy pipeline build` end to end, through the CLI: a loopback "bitcoincore.org" serving a
// release whose bitcoind is the bitcoind TEST DOUBLE, SHA256SUMS signed by builder keys made here,
// the real registry on 127.0.0.1:5000 (under archy-test-pipeline/<run>/, a test namespace: never a
// production name such as archipelago/, and apart from the images other tests install), cosign and
// catalog keys made here. Then a daemon installs the published version, verifying the signature,
// and it runs healthy. Every bad input fails closed: non-zero exit, the step named, no tag left.

import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import {
  createKeyFiles,
  createRoot,
  generateSigningKey,
  parseCatalogEnvelope,
  readSigningKeyFile as readCatalogKey,
  expiresIn,
} from '../../src/catalog/index.js';
import {
  CYCLONEDX_PREDICATE_TYPE,
  RegistryClient,
  verifyAttestation,
} from '../../src/security/image-signing/index.js';
import { publishToCatalog } from '../../src/pipeline/catalog-publish.js';
import {
  closedPortUrl,
  startFileServer,
  tamperBlock,
  type FileServer,
} from '../../src/pipeline/spec-release-fixture.js';
import { registry, tempDataDir, testRunId } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { runCli, startDaemon, type CliResult, type TestDaemon } from '../support/daemon-harness.js';
import { lockBitcoinApps, removeStaleBitcoinContainers, writeBitcoinApps } from '../daemon/bitcoin-apps.js';
import {
  compileDynamicProgram,
  makePipelineKeys,
  makeReleaseTarball,
  serveRelease,
  sha256Hex,
  signWith,
  writePipelineConfig,
  type PipelineKeys,
  type ReleaseFiles,
} from './pipeline-fixture.js';

const VERSION = '31.0';
let dir: string;
let keys: PipelineKeys;
let primary: FileServer;
let mirror: FileServer;
let namespace: string;
let client: RegistryClient;

beforeAll(async () => {
  dir = tempDataDir('pipeline');
  keys = await makePipelineKeys(join(dir, 'keys'));
  primary = await startFileServer();
  mirror = await startFileServer();
  // A test namespace of its own: never a production name (archipelago/), and not archy-test/,
  // where the doubles other tests install live.
  namespace = `archy-test-pipeline/${testRunId().toLowerCase()}`;
  client = new RegistryClient({ registry: registry(), insecure: true });
}, 120_000);
afterAll(async () => {
  await Promise.all([primary?.close(), mirror?.close()]);
});

const goodSigners = () => [keys.builders.alice, keys.builders.bob, keys.builders.carol];

async function release(
  version: string,
  options: { omit?: 'bitcoind'; bitcoind?: string } = {},
): Promise<ReleaseFiles> {
  const folder = join(dir, 'releases', `${version}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(folder, { recursive: true });
  return makeReleaseTarball(folder, version, options);
}

async function build(
  implementation: 'core' | 'knots',
  version: string,
  options: {
    sources?: string[];
    registryPath?: string;
    catalog?: string;
    curatedSet?: Record<string, unknown>;
  } = {},
): Promise<CliResult & { config: string; catalog: string }> {
  const catalog = options.catalog ?? join(dir, `catalog-${version}.json`);
  const config = await writePipelineConfig(join(dir, `pipeline-${version}-${Date.now()}.yml`), {
    sources: options.sources ?? [`${primary.url}bin/`],
    registry: options.registryPath ?? `${registry()}/${namespace}`,
    keys,
    catalog,
    ...(options.curatedSet ? { curatedSet: options.curatedSet } : {}),
  });
  const result = await runCli(
    ['pipeline', 'build', implementation, version, '--config', config],
    process.env,
    120_000,
  );
  return { ...result, config, catalog };
}

const repository = (implementation: 'core' | 'knots') =>
  `${namespace}/${implementation === 'core' ? 'bitcoin-core' : 'bitcoin-knots'}`;

/** Neither the registry nor this host holds the version's tag, and no catalog was written. */
async function expectNothingPublished(
  result: { catalog: string },
  implementation: 'core' | 'knots',
  version: string,
) {
  expect(await client.getManifest(repository(implementation), version)).toBeUndefined();
  const local = await podman(['image', 'exists', `${registry()}/${repository(implementation)}:${version}`])
    .then(() => true)
    .catch(() => false);
  expect(local).toBe(false);
  expect(() => readFileSync(result.catalog)).toThrow();
}

describe('archy pipeline build: a good release', () => {
  let result: CliResult & { catalog: string };
  let files: ReleaseFiles;

  beforeAll(async () => {
    files = await release(VERSION);
    serveRelease(primary, 'core', files, await signWith(files.sha256sums, goodSigners()));
    result = await build('core', VERSION);
  }, 180_000);

  it('verifies, builds, pushes, signs and publishes, printing each step with its time', async () => {
    expect(result.code, result.stderr).toBe(0);
    for (const step of ['download', 'verify', 'build', 'push', 'sign', 'attest', 'publish'])
      expect(result.stderr).toMatch(new RegExp(`ok\\s+${step}\\s+\\d+(\\.\\d)? m?s`));
    expect(result.stdout).toContain(`published ${registry()}/${repository('core')}:${VERSION}`);

    const manifest = await client.getManifest(repository('core'), VERSION);
    expect(manifest).toBeDefined();
    // Signed: the cosign signature manifest sits beside it.
    const signature = await client.getManifest(
      repository('core'),
      `${manifest!.digest.replace(':', '-')}.sig`,
    );
    expect(signature).toBeDefined();
    // And its SBOM as a cosign attestation, verifiable with the same key: every file of the image
    // with its origin, bitcoind from the release tarball the pipeline verified.
    const attested = await verifyAttestation({
      imageRef: `${registry()}/${repository('core')}@${manifest!.digest}`,
      trustedKeys: [readFileSync(keys.signingPublicKey, 'utf8')],
      predicateType: CYCLONEDX_PREDICATE_TYPE,
      insecure: true,
    });
    const bom = JSON.stringify(attested.predicate);
    expect(bom).toContain('/usr/local/bin/bitcoind');
    expect(bom).toContain(sha256Hex(files.tarball));
    expect(bom).toContain('pkg:deb/debian/busybox-static@');

    // The catalog names the version with the pushed digest, signed by the catalog key.
    const catalog = parseCatalogEnvelope(JSON.parse(readFileSync(result.catalog, 'utf8')));
    const app = catalog.signed.apps['bitcoin-core'] as {
      versions: { version: string; image: string; digest: string }[];
    };
    expect(app.versions).toEqual([
      {
        version: VERSION,
        image: `${registry()}/${repository('core')}:${VERSION}`,
        digest: manifest!.digest,
        default: true,
      },
    ]);
    const catalogKey = await readCatalogKey(keys.catalogKey);
    expect(catalog.signatures.map((s) => s.keyid)).toEqual([catalogKey.keyId]);

    // No image left on the build host.
    await expect(
      podman(['image', 'exists', `${registry()}/${repository('core')}:${VERSION}`]),
    ).rejects.toThrow();
  });

  it('the image holds only bitcoind and bitcoin-cli, runs as uid 1000 and records its provenance in labels', async () => {
    const manifest = JSON.parse(
      (await client.getManifest(repository('core'), VERSION))!.bytes.toString(),
    ) as {
      config: { digest: `sha256:${string}` };
    };
    const config = JSON.parse(
      (
        await client.getBlob(repository('core'), manifest.config.digest, { maxBytes: 1024 * 1024 })
      ).toString(),
    ) as { config: { User: string; Entrypoint: string[]; Labels: Record<string, string> } };
    expect(config.config.User).toBe('1000:1000');
    expect(config.config.Entrypoint).toEqual(['/usr/local/bin/archy-entrypoint']);
    expect(config.config.Labels).toMatchObject({
      'org.opencontainers.image.version': VERSION,
      'org.opencontainers.image.source': `${primary.url}bin/bitcoin-core-${VERSION}/${files.tarballName}`,
      'io.archipelago.release.sha256': sha256Hex(files.tarball),
      'io.archipelago.release.implementation': 'core',
    });
    // Pull it back and look inside: the two binaries, no bitcoin-qt, the double's bytes unchanged.
    const ref = `${registry()}/${repository('core')}:${VERSION}`;
    await podman(['pull', '--quiet', '--tls-verify=false', ref]);
    try {
      const listing = await podman(['run', '--rm', '--entrypoint', '/bin/ls', ref, '/usr/local/bin']);
      expect(listing.split('\n').filter(Boolean).sort()).toEqual([
        'archy-entrypoint',
        'bitcoin-cli',
        'bitcoind',
      ]);
      const whoami = await podman(['run', '--rm', '--entrypoint', '/bin/id', ref, '-u']);
      expect(whoami.trim()).toBe('1000');
      const loader = await podman([
        'run',
        '--rm',
        '--entrypoint',
        '/bin/ls',
        ref,
        '/lib64/ld-linux-x86-64.so.2',
      ]);
      expect(loader.trim()).toBe('/lib64/ld-linux-x86-64.so.2');
    } finally {
      await podman(['rmi', '--ignore', ref]);
    }
  });

  it('refuses to publish the same version again: a published tag is never moved', async () => {
    const again = await build('core', VERSION, { catalog: join(dir, 'catalog-again.json') });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("FAILED at step 'push'");
    expect(again.stderr).toContain('already exists in the registry');
  });

  describe('installed by a daemon that trusts the catalog and the image key', () => {
    let daemon: TestDaemon;
    let releaseLock: () => void;

    beforeAll(async () => {
      releaseLock = await lockBitcoinApps();
      await removeStaleBitcoinContainers();
      const dataDir = tempDataDir('pipeline-daemon');
      // The node's bundled catalog (ARCHY_CATALOG_DIR) is one whose root trusts our catalog key,
      // and it holds the catalog the pipeline published. (A stored root of the node's own would
      // not do: every stored root must chain to the bundled one.)
      const rootKey = generateSigningKey();
      const catalogKey = await readCatalogKey(keys.catalogKey);
      const definition = {
        rootKeys: [rootKey.publicKey],
        rootThreshold: 1,
        catalogKeys: [catalogKey.publicKey],
        catalogThreshold: 1,
        expires: expiresIn(new Date(), 30),
      };
      const bundledCatalogDir = tempDataDir('pipeline-bundled-catalog');
      mkdirSync(bundledCatalogDir, { recursive: true });
      writeFileSync(join(bundledCatalogDir, 'root.json'), JSON.stringify(createRoot(definition, [rootKey])));
      writeFileSync(join(bundledCatalogDir, 'catalog.json'), readFileSync(result.catalog, 'utf8'));
      mkdirSync(join(dataDir, 'trust', 'image-keys'), { recursive: true });
      writeFileSync(
        join(dataDir, 'trust', 'image-keys', 'pipeline.pub'),
        readFileSync(keys.signingPublicKey),
      );

      // The bitcoin-core manifest, its image in the pipeline's repository. The double reads the
      // version it plays from a file (a real bitcoind knows its own): the test writes it first.
      const apps = await writeBitcoinApps();
      const file = join(apps, 'bitcoin-core', 'manifest.yml');
      const manifest = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      manifest.version = VERSION;
      manifest.image = `${registry()}/${repository('core')}:${VERSION}`;
      manifest.entrypoint = [
        '/bin/sh',
        '-c',
        `echo ${VERSION} > /tmp/double-version && exec "$@"`,
        'double-version',
      ];
      manifest.env = { BITCOIND_DOUBLE_VERSION_FILE: '/tmp/double-version' };
      writeFileSync(file, stringify(manifest));

      daemon = await startDaemon({
        dataDir,
        env: { ARCHY_APPS_DIR: apps, ARCHY_CATALOG_DIR: bundledCatalogDir, ARCHY_UNSIGNED_REGISTRIES: '' },
      });
    }, 900_000);
    afterAll(async () => {
      await daemon?.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
      await daemon?.stop();
      releaseLock?.();
      // The daemon pulled the published image by digest into this storage: it goes too.
      const published = await client.getManifest(repository('core'), VERSION).catch(() => undefined);
      if (published)
        await podman(['rmi', '--ignore', `${registry()}/${repository('core')}@${published.digest}`]).catch(
          () => undefined,
        );
    });

    it('lists the published version and installs it: signature verified, run by digest, healthy', async () => {
      const versions = await daemon.cliJson<{ versions: { version: string }[] }>([
        'versions',
        'bitcoin-core',
      ]);
      expect(versions.versions.map((v) => v.version)).toEqual([VERSION]);
      const status = await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', VERSION]);
      expect(status).toMatchObject({
        id: 'bitcoin-core',
        version: VERSION,
        state: 'running',
        health: 'healthy',
      });
      const digest = (await client.getManifest(repository('core'), VERSION))!.digest;
      const imageName = (
        await podman(['inspect', '--format', '{{.ImageName}}', 'archy-bitcoin-core'])
      ).trim();
      expect(imageName).toBe(`${registry()}/${repository('core')}@${digest}`);
    });
  });
});

describe('archy pipeline build: the mirror fallback (Knots layout)', () => {
  it('the primary is down; the mirror serves the release and the build succeeds', async () => {
    const version = '29.3.knots20260508';
    const files = await release(version);
    serveRelease(mirror, 'knots', files, await signWith(files.sha256sums, goodSigners()));
    const down = await closedPortUrl();
    const result = await build('knots', version, { sources: [`${down}bin/`, `${mirror.url}bin/`] });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/ok\s+download.*source\(s\) unavailable/);
    expect(mirror.requests).toContain(`/bin/29.x/${version}/${files.tarballName}`);
    // Reproducible: the same binaries on the same base give the same layer, byte for byte, as the
    // Core image built earlier from another tarball (only the labels differ).
    const layers = async (implementation: 'core' | 'knots', tag: string) =>
      (
        JSON.parse((await client.getManifest(repository(implementation), tag))!.bytes.toString()) as {
          layers: { digest: string }[];
        }
      ).layers.map((layer) => layer.digest);
    expect(await layers('knots', version)).toEqual(await layers('core', VERSION));
  }, 180_000);
});

describe('archy pipeline build: the base runs glibc-dynamic binaries, as official releases are', () => {
  it('a dynamically linked bitcoind (libc, libm, libpthread) runs in the published image', async () => {
    const version = '29.9';
    const scratch = join(dir, 'dynamic');
    mkdirSync(scratch, { recursive: true });
    const files = await release(version, { bitcoind: await compileDynamicProgram(scratch) });
    serveRelease(primary, 'core', files, await signWith(files.sha256sums, goodSigners()));
    const result = await build('core', version);
    expect(result.code, result.stderr).toBe(0);
    const ref = `${registry()}/${repository('core')}:${version}`;
    await podman(['pull', '--quiet', '--tls-verify=false', ref]);
    try {
      // Through the entrypoint, which finds bitcoind; the loader comes from the image's glibc.
      expect((await podman(['run', '--rm', ref, 'bitcoind'])).trim()).toBe('glibc-dynamic ok 4');
    } finally {
      await podman(['rmi', '--ignore', ref]);
    }
  }, 180_000);
});

describe('archy pipeline build: bad input fails closed, names the step, leaves no tag', () => {
  let counter = 0;
  /** A fresh Core version per case, so one case's leftovers could never satisfy another's check. */
  const nextVersion = () => `30.${++counter}`;

  async function refused(
    version: string,
    setup: (files: ReleaseFiles) => Promise<void>,
    options: { sources?: string[]; registryPath?: string } = {},
  ): Promise<CliResult> {
    const files = await release(version);
    await setup(files);
    const result = await build('core', version, options);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Nothing was published');
    await expectNothingPublished(result, 'core', version);
    return result;
  }

  it('a wrong checksum', async () => {
    const result = await refused(nextVersion(), async (files) => {
      const sums = Buffer.from(
        files.sha256sums.toString().replace(sha256Hex(files.tarball), 'ab'.repeat(32)),
      );
      serveRelease(primary, 'core', files, await signWith(sums, goodSigners()), { sums });
    });
    expect(result.stderr).toContain("FAILED at step 'checksum'");
  });

  it('a tarball missing from SHA256SUMS', async () => {
    const result = await refused(nextVersion(), async (files) => {
      const sums = Buffer.from(
        files.sha256sums
          .toString()
          .split('\n')
          .filter((line) => !line.includes(files.tarballName))
          .join('\n'),
      );
      serveRelease(primary, 'core', files, await signWith(sums, goodSigners()), { sums });
    });
    expect(result.stderr).toContain("FAILED at step 'checksum'");
    expect(result.stderr).toContain('bitcoin-30.');
  });

  it('too few good signatures (an expired and an unknown key do not count), reporting each signer', async () => {
    const { alice, bob, erin, mallory } = keys.builders;
    const result = await refused(nextVersion(), async (files) => {
      serveRelease(primary, 'core', files, await signWith(files.sha256sums, [alice, bob, erin, mallory]));
    });
    expect(result.stderr).toContain("FAILED at step 'signatures'");
    expect(result.stderr).toMatch(/signatures: 2 good of 3 needed/);
    expect(result.stderr).toMatch(/good: .*alice.*bob/);
    expect(result.stderr).toMatch(/expired: .*erin/);
    expect(result.stderr).toMatch(/unknown: [0-9A-F]{16,}/);
  });

  it('a tampered SHA256SUMS.asc', async () => {
    const result = await refused(nextVersion(), async (files) => {
      const asc = tamperBlock(await signWith(files.sha256sums, goodSigners()), 1);
      serveRelease(primary, 'core', files, asc);
    });
    expect(result.stderr).toContain("FAILED at step 'signatures'");
    expect(result.stderr).toMatch(/bad: +block 2/);
  });

  it('a mirror serving a different SHA256SUMS than the primary', async () => {
    const result = await refused(
      nextVersion(),
      async (files) => {
        const asc = await signWith(files.sha256sums, goodSigners());
        serveRelease(primary, 'core', files, asc);
        serveRelease(mirror, 'core', files, asc, {
          sums: Buffer.concat([files.sha256sums, Buffer.from('\n')]),
        });
      },
      { sources: [`${primary.url}bin/`, `${mirror.url}bin/`] },
    );
    expect(result.stderr).toContain("FAILED at step 'mirror-check'");
  });

  it('a half-downloaded tarball (the server closes early)', async () => {
    const result = await refused(nextVersion(), async (files) => {
      serveRelease(primary, 'core', files, await signWith(files.sha256sums, goodSigners()), {
        tarball: { body: files.tarball, sendBytes: Math.floor(files.tarball.length / 2) },
      });
    });
    expect(result.stderr).toContain("FAILED at step 'download'");
    expect(result.stderr).toContain('cut short');
  });

  it('a release without bitcoind', async () => {
    const version = nextVersion();
    const files = await release(version, { omit: 'bitcoind' });
    serveRelease(primary, 'core', files, await signWith(files.sha256sums, goodSigners()));
    const result = await build('core', version);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("FAILED at step 'build'");
    expect(result.stderr).toContain('holds no bin/bitcoind');
    await expectNothingPublished(result, 'core', version);
  });

  it('a registry refusing the push (nothing listens there)', async () => {
    const down = new URL(await closedPortUrl()).host;
    const version = nextVersion();
    const files = await release(version);
    serveRelease(primary, 'core', files, await signWith(files.sha256sums, goodSigners()));
    const result = await build('core', version, { registryPath: `${down}/${namespace}` });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("FAILED at step 'push'");
    expect(
      await podman(['image', 'exists', `${down}/${repository('core')}:${version}`]).catch(() => 'gone'),
    ).toBe('gone');
    expect(() => readFileSync(result.catalog)).toThrow();
  });

  it('a registry that answers but refuses the upload', async () => {
    // Speaks enough of the registry API for podman to start a push, then denies every write.
    const refusing: Server = createServer((req, res) => {
      const json = (status: number, code: string, message: string) =>
        res
          .writeHead(status, {
            'content-type': 'application/json',
            'docker-distribution-api-version': 'registry/2.0',
          })
          .end(JSON.stringify({ errors: [{ code, message }] }));
      if (req.url === '/v2/') return json(200, 'OK', 'ok');
      if (req.method === 'GET' || req.method === 'HEAD') return json(404, 'MANIFEST_UNKNOWN', 'unknown');
      json(403, 'DENIED', 'requested access to the resource is denied');
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const host = `127.0.0.1:${(refusing.address() as { port: number }).port}`;
      const version = nextVersion();
      const files = await release(version);
      serveRelease(primary, 'core', files, await signWith(files.sha256sums, goodSigners()));
      const result = await build('core', version, { registryPath: `${host}/${namespace}` });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("FAILED at step 'push'");
      expect(result.stderr).toMatch(/the registry refused .*denied/);
      expect(result.stderr).toContain('Nothing was published');
      expect(
        await podman(['image', 'exists', `${host}/${repository('core')}:${version}`]).catch(() => 'gone'),
      ).toBe('gone');
      expect(() => readFileSync(result.catalog)).toThrow();
    } finally {
      await new Promise((resolve) => refusing.close(resolve));
    }
  });

  it('a catalog the catalog key did not sign is refused before anything is downloaded', async () => {
    const version = nextVersion();
    const files = await release(version);
    serveRelease(primary, 'core', files, await signWith(files.sha256sums, goodSigners()));
    const foreignKey = (await createKeyFiles(join(dir, 'foreign-keys'), `k${version.replace('.', '-')}`))
      .privateKeyPath;
    const catalog = join(dir, `foreign-catalog-${version}.json`);
    await publishToCatalog(catalog, foreignKey, {
      appId: 'bitcoin-core',
      version: '29.0',
      image: `${registry()}/${repository('core')}:29.0`,
      digest: `sha256:${'c'.repeat(64)}`,
    });
    const before = readFileSync(catalog, 'utf8');
    const result = await build('core', version, { catalog });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("FAILED at step 'config'");
    expect(result.stderr).toContain('is not signed by the catalog key');
    expect(primary.requests.some((path) => path.includes(`bitcoin-core-${version}/`))).toBe(false);
    expect(readFileSync(catalog, 'utf8')).toBe(before);
    expect(await client.getManifest(repository('core'), version)).toBeUndefined();
  });

  it('a publish failing after push, sign and attest: the tag, its signature and its SBOM are taken back out', async () => {
    const version = nextVersion();
    const files = await release(version);
    serveRelease(primary, 'core', files, await signWith(files.sha256sums, goodSigners()));
    // The catalog's folder can be read (the pre-flight passes) but not written (the publish fails).
    const folder = join(dir, `read-only-${version}`);
    mkdirSync(folder, { mode: 0o555 });
    const repo = `${namespace}-rollback`;
    try {
      const result = await build('core', version, {
        catalog: join(folder, 'catalog.json'),
        registryPath: `${registry()}/${repo}`,
      });
      expect(result.code).not.toBe(0);
      // It got as far as pushing and signing: the steps before the failure were printed.
      expect(result.stderr).toMatch(/ok\s+push/);
      expect(result.stderr).toMatch(/ok\s+sign/);
      expect(result.stderr).toMatch(/ok\s+attest/);
      expect(result.stderr).toContain("FAILED at step 'publish'");
      expect(result.stderr).toContain('EACCES');
      expect(result.stderr).toContain('Nothing was published');
    } finally {
      chmodSync(folder, 0o755);
    }
    // No tag left: neither the version nor its signature (sha256-<hex>.sig) nor attestation (.att).
    const tags = await fetch(`http://${registry()}/v2/${repo}/bitcoin-core/tags/list`).then(async (res) =>
      res.status === 404 ? [] : (((await res.json()) as { tags: string[] | null }).tags ?? []),
    );
    expect(tags).toEqual([]);
    await expect(
      podman(['image', 'exists', `${registry()}/${repo}/bitcoin-core:${version}`]),
    ).rejects.toThrow();
  });

  it('a version the curated set drops, saying why (and listing every dropped version)', async () => {
    const result = await build('core', '27.2', {
      curatedSet: { core: { versions: ['31.0', '30.0', '29.3', '28.4', '27.2'] } },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Bitcoin Core: dropped 1:');
    expect(result.stderr).toContain(
      '27.2 — major 27 is older than the 4 newest majors kept (31, 30, 29, 28)',
    );
    expect(result.stderr).toContain("FAILED at step 'config'");
    expect(result.stderr).toContain('curatedSet.core.include');
    expect(primary.requests.some((path) => path.includes('bitcoin-core-27.2'))).toBe(false);
  });

  it('a floating tag is never a version', async () => {
    const result = await build('core', 'latest');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("'latest' is a floating tag");
  });
});
