// `archy install bitcoin-core` on a node with no image and no registry: the daemon fetches the
// official release from the catalog's sources, verifies it (the signed catalog's SHA-256, a
// threshold of pinned builders' signatures over SHA256SUMS, keys fetched and accepted only by
// fingerprint), builds the image itself, runs it by image ID with its provenance and SBOM — and
// with image verification ON (ARCHY_UNSIGNED_REGISTRIES empty). Every refusal leaves nothing behind.
//
// The "official" release is served by a mirror on 127.0.0.1 (release-mirror.ts) in upstream's
// layout; its bitcoind is the bitcoind TEST DOUBLE (test/support/bitcoind-double), compiled to
// claim each version. Builder keys and the catalog's keys are made here. Nothing leaves loopback.

import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import {
  closedPortUrl,
  makeBuilders,
  signatureFile,
  type BuilderKey,
  type BuilderSet,
} from '../../src/pipeline/spec-release-fixture.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { registry, tempDataDir, testRunId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { sha256Hex as sha256 } from '../pipeline/pipeline-fixture.js';
import { holdBitcoinAppsForFile } from './bitcoin-apps.js';
import { expectNothingLeft } from './leftovers.js';
import {
  ARCH,
  makeDoubleRelease,
  releaseFolder as folderOf,
  serveBuilderKeys,
  serveRelease,
  writeReleaseApps,
  writeReleaseCatalog,
  type BuiltRelease,
} from './release-fixture.js';
import { startReleaseMirror, type ReleaseMirror } from './release-mirror.js';

holdBitcoinAppsForFile();

const REPOSITORY = 'localhost/archy-test/bitcoin-core';

/** What each test version is for. */
const GOOD = ['30.0', '31.0'] as const;
const TAMPERED = '28.0';
const TOO_FEW = '28.1';
const UNPINNED = '28.2';
const OFFLINE = '28.3';
const RESUMED = '29.0';
const BROUGHT = '29.1';
/** Newer than what runs, its sources down: a set-version to it fails before touching anything. */
const UNREACHABLE_UPGRADE = '32.0';

interface Fixture {
  mirror: ReleaseMirror;
  builders: BuilderSet;
  releases: Map<string, BuiltRelease>;
  work: string;
  /** A port nothing listens on, for sources that are down. */
  closed: string;
}

/** The same bytes with one flipped in the middle. */
function tampered(data: Buffer): Buffer {
  const copy = Buffer.from(data);
  const middle = copy.length >> 1;
  copy.writeUInt8(copy.readUInt8(middle) ^ 0xff, middle);
  return copy;
}

async function makeFixture(): Promise<Fixture> {
  const work = tempDataDir('release-install');
  const mirror = await startReleaseMirror();
  const builders = await makeBuilders();
  const releases = new Map<string, BuiltRelease>();
  const signers: Record<string, BuilderKey[]> = {
    [TOO_FEW]: [builders.alice, builders.bob],
    [UNPINNED]: [builders.alice, builders.bob, builders.mallory],
  };
  for (const version of [
    ...GOOD,
    TAMPERED,
    TOO_FEW,
    UNPINNED,
    OFFLINE,
    RESUMED,
    BROUGHT,
    UNREACHABLE_UPGRADE,
  ]) {
    // Filler makes the tarball big enough for a download to be broken off and resumed.
    const release = await makeDoubleRelease(join(work, `release-${version}`), version, 4 << 20);
    releases.set(version, release);
    await serveRelease(
      mirror,
      release,
      signers[version] ?? [builders.alice, builders.bob, builders.carol],
      // Someone swapped the tarball on the mirror; SHA256SUMS and its signatures are the real ones.
      version === TAMPERED ? tampered(release.tarball) : release.tarball,
    );
  }
  serveBuilderKeys(mirror, builders);
  return { mirror, builders, releases, work, closed: await closedPortUrl() };
}

/** bitcoin-core's versions on the mirror; the offline one's sources are down, the brought one's too. */
function writeCatalog(fixture: Fixture, repository = REPOSITORY): string {
  const { mirror, closed } = fixture;
  return writeReleaseCatalog({
    name: 'release-install-catalog',
    mirror,
    builders: fixture.builders,
    releases: fixture.releases,
    repository,
    defaultVersion: '31.0',
    overrides: (version) =>
      version === OFFLINE || version === UNREACHABLE_UPGRADE
        ? { sources: [`${closed}bin/`, `${mirror.url}nothing-here/`] }
        : version === BROUGHT
          ? { sources: [`${closed}bin/`], keySources: [`${closed}keys/{fingerprint}`] }
          : {},
  });
}

/** The repo's Bitcoin manifests for regtest, bitcoin-core's image in the test repository. */
const writeApps = (repository = REPOSITORY): Promise<string> => writeReleaseApps(repository, '31.0');

const tarballRequests = (mirror: ReleaseMirror, version: string) =>
  mirror.requests.filter((r) => r.path.endsWith(`bitcoin-${version}-${ARCH}.tar.gz`));

const imageTagged = async (version: string): Promise<boolean> =>
  (await podman(['images', '--format', '{{.Repository}}:{{.Tag}}']))
    .split('\n')
    .includes(`${REPOSITORY}:${version}`);

describe('Bitcoin Core from its official release, verified and built on the node', () => {
  let fixture: Fixture;
  let daemon: TestDaemon;

  beforeAll(async () => {
    fixture = await makeFixture();
    daemon = await startDaemon({
      dataDir: tempDataDir('release-node'),
      env: {
        ARCHY_CATALOG_DIR: writeCatalog(fixture),
        ARCHY_APPS_DIR: await writeApps(),
        // Verification on: the image is trusted because this node built it from verified inputs.
        ARCHY_UNSIGNED_REGISTRIES: '',
      },
    });
  }, 600_000);
  afterAll(async () => {
    await daemon?.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
    await daemon?.stop();
    await fixture?.mirror.close();
    for (const version of fixture?.releases.keys() ?? [])
      await podman(['rmi', '--ignore', `${REPOSITORY}:${version}`]).catch(() => undefined);
  }, 300_000);
  // Each case starts from a node without the app (a failed case must not fail the next ones).
  afterEach(async () => {
    await daemon?.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
  }, 120_000);

  it('installs: downloads with progress, verifies, builds, runs it by image ID, healthy, with provenance and SBOM', async () => {
    const install = await daemon.cli(['install', 'bitcoin-core', '--version', '30.0'], {
      timeoutMs: 300_000,
    });
    expect(install.stderr, install.stderr).toMatch(/downloading bitcoin-30\.0-x86_64-linux-gnu\.tar\.gz/);
    expect(install.stderr).toContain('signatures: checking the builders’ signatures over SHA256SUMS');
    expect(install.code, install.stderr).toBe(0);

    const status = await daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);
    const release = fixture.releases.get('30.0')!;
    expect(status).toMatchObject({ version: '30.0', state: 'running', health: 'healthy' });
    expect(status.provenance).toMatchObject({
      builtBy: 'node',
      reference: `${REPOSITORY}:30.0`,
      origin: {
        kind: 'release',
        implementation: 'core',
        arch: ARCH,
        tarball: release.tarballName,
        sha256: sha256(release.tarball),
        source: `${fixture.mirror.releases}bitcoin-core-30.0/${release.tarballName}`,
        threshold: 3,
      },
    });
    const { alice, bob, carol } = fixture.builders;
    expect(
      status.provenance!.origin.kind === 'release' &&
        status.provenance!.origin.signers.map((s) => s.fingerprint).sort(),
    ).toEqual([alice, bob, carol].map((b) => b.fingerprint).sort());
    // What runs is the image this node built, by ID.
    const running = (await podman(['inspect', '--format', '{{.Image}}', 'archy-bitcoin-core'])).trim();
    expect(`sha256:${running.replace(/^sha256:/, '')}`).toBe(status.provenance!.imageId);

    const text = await daemon.cli(['status', 'bitcoin-core']);
    expect(text.stdout).toContain(`sha256:     ${sha256(release.tarball)}`);
    expect(text.stdout).toMatch(/signed by:\s+3 of 3 needed: alice/);

    const sbom = JSON.parse((await daemon.cli(['status', 'bitcoin-core', '--sbom'])).stdout) as {
      bomFormat: string;
      components: { purl?: string; components?: { name: string; hashes?: { content: string }[] }[] }[];
    };
    expect(sbom.bomFormat).toBe('CycloneDX');
    const releaseComponent = sbom.components.find((c) => c.purl?.includes(sha256(release.tarball)));
    const bitcoind = releaseComponent?.components?.find((f) => f.name === '/usr/local/bin/bitcoind');
    expect(bitcoind?.hashes?.[0]?.content).toBe(sha256(fixture.releases.get('30.0')!.bitcoind));
    expect(JSON.stringify(sbom)).toContain('pkg:deb/debian/busybox-static@');
  });

  it('switches to another version (one download) and back (none: the image and the release are kept)', async () => {
    const installed = await daemon.cli(['install', 'bitcoin-core', '--version', '30.0'], {
      timeoutMs: 300_000,
    });
    expect(installed.code, installed.stderr).toBe(0);
    const up = await daemon.cli(['set-version', 'bitcoin-core', '31.0'], { timeoutMs: 300_000 });
    expect(up.code, up.stderr).toBe(0);
    expect(tarballRequests(fixture.mirror, '31.0')).toHaveLength(1);
    const before = tarballRequests(fixture.mirror, '30.0').length;
    const back = await daemon.cli(['set-version', 'bitcoin-core', '30.0', '--confirm-downgrade'], {
      timeoutMs: 300_000,
    });
    expect(back.code, back.stderr).toBe(0);
    expect(tarballRequests(fixture.mirror, '30.0')).toHaveLength(before);
    // The downgrade's one-time -reindex-chainstate is dropped by a recreate once it is healthy.
    await waitFor(
      async () => {
        const status = await daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);
        return status.version === '30.0' && status.state === 'running' && status.health === 'healthy';
      },
      { what: 'bitcoin-core 30.0 running and healthy again', timeoutMs: 120_000, intervalMs: 500 },
    );

    // The image gone too: rebuilt from the verified release kept on disk, still without a download.
    expect((await daemon.cli(['remove', 'bitcoin-core'])).code).toBe(0);
    await podman(['rmi', `${REPOSITORY}:30.0`]);
    const again = await daemon.cli(['install', 'bitcoin-core', '--version', '30.0'], { timeoutMs: 300_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(tarballRequests(fixture.mirror, '30.0')).toHaveLength(before);
    expect((await daemon.cli(['remove', 'bitcoin-core', '--purge', '--yes'])).code).toBe(0);
  });

  const expectRefusedLeavingNothing = async (version: string, reason: RegExp): Promise<string> => {
    const result = await daemon.cli(['install', 'bitcoin-core', '--version', version], {
      timeoutMs: 300_000,
    });
    expect(result.code, result.stdout).not.toBe(0);
    const lastLine = result.stderr.trim().split('\n').at(-1)!;
    expect(lastLine).toMatch(reason);
    await expectNothingLeft(daemon, 'bitcoin-core');
    expect(await imageTagged(version), 'image left behind').toBe(false);
    expect(existsSync(join(daemon.dataDir, 'releases', 'core', version)), 'release kept').toBe(false);
    return lastLine;
  };

  it('refuses a tampered tarball: the SHA-256 the signed catalog and SHA256SUMS name is not what came', async () => {
    const line = await expectRefusedLeavingNothing(
      TAMPERED,
      /has SHA-256 [0-9a-f]{64}, but the signed catalog/,
    );
    expect(line).toContain('Nothing was built or kept');
    expect(readdirSync(join(daemon.dataDir, 'releases', 'partial'))).toEqual([]);
  });

  it('refuses too few signatures, before the tarball is fetched', async () => {
    await expectRefusedLeavingNothing(
      TOO_FEW,
      /only 2 good signatures from distinct pinned builders on SHA256SUMS, 3 needed/,
    );
    expect(tarballRequests(fixture.mirror, TOO_FEW)).toHaveLength(0);
  });

  it('never counts a key whose fingerprint is not pinned, whatever the key source serves', async () => {
    // The key source answers for carol with mallory's key: not the pinned fingerprint, not used.
    const { carol, mallory } = fixture.builders;
    // As on a node that has not fetched carol's key yet (earlier cases kept it).
    rmSync(join(daemon.dataDir, 'releases', 'keys', `${carol.fingerprint}.asc`), { force: true });
    fixture.mirror.put(`/keys/${carol.fingerprint}`, mallory.publicKey.armor());
    try {
      const line = await expectRefusedLeavingNothing(UNPINNED, /only 2 good signatures/);
      expect(line).toContain(`served ${mallory.fingerprint}, not the pinned ${carol.fingerprint}`);
    } finally {
      fixture.mirror.put(`/keys/${carol.fingerprint}`, carol.publicKey.armor());
    }
  });

  it('offline: names each source it tried and what it answered', async () => {
    const line = await expectRefusedLeavingNothing(
      OFFLINE,
      /could not get Bitcoin Core 28\.3: no source served SHA256SUMS/,
    );
    expect(line).toMatch(/http:\/\/127\.0\.0\.1:\d+\/bin\/bitcoin-core-28\.3\/SHA256SUMS: .*refused/i);
    expect(line).toContain(
      `${fixture.mirror.url}nothing-here/bitcoin-core-28.3/SHA256SUMS: not found (HTTP 404)`,
    );
    expect(line).toContain('--from');
  });

  it('a set-version whose release cannot be had leaves the node as it was, not "upgrading"', async () => {
    const installed = await daemon.cli(['install', 'bitcoin-core', '--version', '30.0'], {
      timeoutMs: 300_000,
    });
    expect(installed.code, installed.stderr).toBe(0);
    const refused = await daemon.cli(['set-version', 'bitcoin-core', UNREACHABLE_UPGRADE], {
      timeoutMs: 120_000,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`could not get Bitcoin Core ${UNREACHABLE_UPGRADE}`);
    const status = await daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);
    expect(status).toMatchObject({ version: '30.0', state: 'running' });
    expect(status.message ?? '').not.toMatch(/upgrad/i);
  });

  it('resumes an interrupted download where it stopped', async () => {
    const release = fixture.releases.get(RESUMED)!;
    const path = `${folderOf(RESUMED)}${release.tarballName}`;
    const cutAt = Math.floor(release.tarball.length * 0.4);
    // Every try of the first install is broken off: it fails, keeping what it got.
    fixture.mirror.breakOff(path, 10, cutAt);
    const first = await daemon.cli(['install', 'bitcoin-core', '--version', RESUMED], { timeoutMs: 300_000 });
    expect(first.code).not.toBe(0);
    expect(first.stderr).toContain('the next try resumes from there');
    await expectNothingLeft(daemon, 'bitcoin-core');
    fixture.mirror.breakOff(path, 0, 0);
    const before = tarballRequests(fixture.mirror, RESUMED).length;

    const second = await daemon.cli(['install', 'bitcoin-core', '--version', RESUMED], {
      timeoutMs: 300_000,
    });
    expect(second.code, second.stderr).toBe(0);
    // One request, for the rest only: from what the first install kept (what arrived of the cut body).
    const requests = tarballRequests(fixture.mirror, RESUMED).slice(before);
    expect(requests).toHaveLength(1);
    const from = Number(/^bytes=(\d+)-$/.exec(requests[0]!.range ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(cutAt);
    expect((await daemon.cliJson<AppStatus>(['status', 'bitcoin-core'])).provenance).toMatchObject({
      origin: { sha256: sha256(release.tarball) },
    });
    expect((await daemon.cli(['remove', 'bitcoin-core', '--purge', '--yes'])).code).toBe(0);
  });

  it('installs from a release the user brought (--from), with no source reachable', async () => {
    const release = fixture.releases.get(BROUGHT)!;
    const stick = join(fixture.work, 'usb-stick');
    mkdirSync(stick);
    writeFileSync(join(stick, release.tarballName), release.tarball);
    writeFileSync(join(stick, 'SHA256SUMS'), release.sha256sums);
    const { alice, bob, carol } = fixture.builders;
    writeFileSync(
      join(stick, 'SHA256SUMS.asc'),
      await signatureFile(release.sha256sums, [alice, bob, carol]),
    );
    for (const builder of [alice, bob, carol])
      writeFileSync(join(stick, `${builder.name}.asc`), builder.publicKey.armor());

    // Without the keys and with every source closed, it says what is missing.
    const missingFile = await daemon.cli([
      'install',
      'bitcoin-core',
      '--version',
      BROUGHT,
      '--from',
      join(fixture.work, 'nowhere'),
    ]);
    expect(missingFile.stderr).toContain('cannot read');

    const result = await daemon.cli(['install', 'bitcoin-core', '--version', BROUGHT, '--from', stick], {
      timeoutMs: 300_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect((await daemon.cliJson<AppStatus>(['status', 'bitcoin-core'])).provenance).toMatchObject({
      origin: { source: `file://${join(stick, release.tarballName)}`, sha256: sha256(release.tarball) },
    });
    expect(tarballRequests(fixture.mirror, BROUGHT)).toHaveLength(0);
    expect((await daemon.cli(['remove', 'bitcoin-core', '--purge', '--yes'])).code).toBe(0);
  });
  it('a catalog naming a signed image too: used when it verifies, else the node builds from the release', async () => {
    // A fleet's catalog: each version in a registry as well. Nothing is signed there (or pushed),
    // and this node verifies signatures, so the image is not usable: it builds instead, and says so.
    const fleet = `${registry()}/archy-test/fleet-${testRunId()}/bitcoin-core`;
    const node = await startDaemon({
      dataDir: tempDataDir('release-fleet-node'),
      env: {
        ARCHY_CATALOG_DIR: writeCatalog(fixture, fleet),
        ARCHY_APPS_DIR: await writeApps(fleet),
        ARCHY_UNSIGNED_REGISTRIES: '',
        ARCHY_INSECURE_REGISTRIES: registry(),
      },
    });
    try {
      const result = await node.cli(['install', 'bitcoin-core', '--version', '30.0'], { timeoutMs: 300_000 });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`the signed image ${fleet}:30.0 is not usable`);
      const status = await node.cliJson<AppStatus>(['status', 'bitcoin-core']);
      // Built here under the same path, never under the registry's name.
      expect(status.provenance).toMatchObject({
        reference: `localhost/archy-test/fleet-${testRunId()}/bitcoin-core:30.0`,
        origin: { kind: 'release', sha256: sha256(fixture.releases.get('30.0')!.tarball) },
      });
    } finally {
      await node.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
      await node.stop();
      await podman(['rmi', '--ignore', `localhost/archy-test/fleet-${testRunId()}/bitcoin-core:30.0`]);
    }
  });
});
