// obtainRelease end to end on this machine: an upstream-layout release and the builders' keys
// served over loopback HTTP, builder keys made here, a release cache in a temp folder. Every path
// a node gets a release by (download, kept, brought with --from) and every refusal, each checked
// for what it leaves behind.

import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import type { OfficialRelease } from '../catalog/index.js';
import {
  closedPortUrl,
  makeBuilders,
  makeRelease,
  sha256Hex,
  signatureFile,
  startFileServer,
  tempFolder,
  type BuilderKey,
  type BuilderSet,
  type FakeRelease,
  type FileServer,
} from '../pipeline/spec-release-fixture.js';
import { obtainRelease, releaseFileFor, type ObtainReleaseRequest } from './obtain-release.js';
import type { ProvisionProgress } from './progress.js';
import { ReleaseCache } from './release-cache.js';

const VERSION = '31.1';
const ARCH = 'x86_64-linux-gnu';
const FOLDER = `/bin/bitcoin-core-${VERSION}/`;
const TITLE = `Bitcoin Core ${VERSION}`;

let builders: BuilderSet;
let release: FakeRelease;
let goodAsc: string;
let server: FileServer;
let dir: string;
let cache: ReleaseCache;

beforeAll(async () => {
  builders = await makeBuilders();
  release = makeRelease(VERSION);
  goodAsc = await signatureFile(release.sha256sums, [builders.alice, builders.bob, builders.carol]);
});
beforeEach(async () => {
  server = await startFileServer();
  dir = await tempFolder('obtain');
  cache = new ReleaseCache(join(dir, 'releases'));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const pinnedBuilders = () => [builders.alice, builders.bob, builders.carol, builders.dave];

/** The catalog's word on this release: files per CPU, the loopback source, the pinned builders. */
function catalogRelease(fields: Partial<OfficialRelease> = {}): OfficialRelease {
  return {
    implementation: 'core',
    files: {
      [ARCH]: { name: release.tarballName, sha256: sha256Hex(release.tarball) },
      'aarch64-linux-gnu': { name: `bitcoin-${VERSION}-aarch64-linux-gnu.tar.gz`, sha256: 'a'.repeat(64) },
    },
    sources: [`${server.url}bin/`],
    keySources: [`${server.url}keys/{fingerprint}`],
    builders: pinnedBuilders().map((b) => ({ name: b.name, fingerprint: b.fingerprint })),
    threshold: 3,
    ...fields,
  };
}

/** Serves the release in upstream's layout and the pinned builders' keys by fingerprint. */
function serve(files: { tarball?: Buffer; sums?: Buffer; asc?: string; keys?: BuilderKey[] } = {}): void {
  server.routes.set(FOLDER + release.tarballName, files.tarball ?? release.tarball);
  server.routes.set(`${FOLDER}SHA256SUMS`, files.sums ?? release.sha256sums);
  server.routes.set(`${FOLDER}SHA256SUMS.asc`, files.asc ?? goodAsc);
  for (const key of files.keys ?? pinnedBuilders())
    server.routes.set(`/keys/${key.fingerprint}`, key.publicKey.armor());
}

function obtain(fields: Partial<ObtainReleaseRequest> = {}) {
  return obtainRelease({
    title: TITLE,
    version: VERSION,
    release: catalogRelease(),
    arch: ARCH,
    cache,
    ...fields,
  });
}

/** Compared by hash: vitest's deep equality walks a 256 KiB buffer byte by byte, for seconds. */
const hashOf = async (path: string) => sha256Hex(await readFile(path));
const requestsFor = (name: string) => server.requests.filter((path) => path === FOLDER + name).length;
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
/** No kept release and no scratch or partial download: a refusal left nothing. */
async function expectNothingKept(): Promise<void> {
  expect(await cache.find('core', VERSION, ARCH)).toBeUndefined();
  expect(await readdir(join(cache.root, 'partial')).catch(() => [])).toEqual([]);
}
async function refusal(promise: Promise<unknown>): Promise<ArchyError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'obtainRelease should have refused').toBeInstanceOf(ArchyError);
  expect((error as ArchyError).code).toBe(RpcErrorCode.ImageUnavailable);
  return error as ArchyError;
}

/** The same bytes with one flipped in the middle. */
function tampered(data: Buffer): Buffer {
  const copy = Buffer.from(data);
  copy[copy.length >> 1]! ^= 0xff;
  return copy;
}

describe('obtainRelease: download', () => {
  it('downloads, verifies and keeps the release, reporting progress in order', async () => {
    serve();
    const events: ProvisionProgress[] = [];
    const obtained = await obtain({ onProgress: (p) => events.push(p) });

    expect(obtained.via).toBe('download');
    expect(obtained.sha256).toBe(sha256Hex(release.tarball));
    expect(obtained.tarballName).toBe(release.tarballName);
    expect(obtained.source).toBe(`${server.url}bin/bitcoin-core-${VERSION}/${release.tarballName}`);
    expect(obtained.signatures.ok).toBe(true);
    expect(obtained.signatures.good.map((g) => g.fingerprint).sort()).toEqual(
      [builders.alice, builders.bob, builders.carol].map((b) => b.fingerprint).sort(),
    );
    expect(obtained.downloads.map((d) => [d.url.split('/').pop(), d.outcome])).toEqual([
      ['SHA256SUMS', 'served'],
      ['SHA256SUMS.asc', 'served'],
      [release.tarballName, 'served'],
    ]);
    expect(obtained.transfer?.bytes).toBe(release.tarball.length);
    expect(await hashOf(obtained.tarballPath)).toBe(sha256Hex(release.tarball));

    const kept = await cache.find('core', VERSION, ARCH);
    expect(kept?.tarballPath).toBe(obtained.tarballPath);
    expect(kept?.record).toMatchObject({
      sha256: sha256Hex(release.tarball),
      source: obtained.source,
      tarball: release.tarballName,
    });
    expect(kept?.record.signers.sort()).toEqual(obtained.signatures.good.map((g) => g.fingerprint).sort());
    expect(await readFile(kept!.sumsPath)).toEqual(release.sha256sums);
    expect(await readFile(kept!.signaturesPath, 'utf8')).toBe(goodAsc);
    // The scratch files and the partial download were moved in or removed.
    expect(await readdir(join(cache.root, 'partial'))).toEqual([]);

    // Phases in order (repeats folded): fetch SHA256SUMS and .asc, the keys, check them, download, verify.
    const phases = events.map((e) => e.phase).filter((phase, i, all) => phase !== all[i - 1]);
    expect(phases).toEqual(['download', 'keys', 'signatures', 'download', 'verify']);
    expect(events[0]).toMatchObject({ phase: 'download', detail: 'SHA256SUMS and its signatures' });
    const downloads = events.filter((e) => e.phase === 'download' && e.file !== undefined);
    expect(downloads[0]).toMatchObject({ file: release.tarballName, bytes: 0 });
    expect(downloads.at(-1)).toMatchObject({ file: release.tarballName, bytes: release.tarball.length });
    const bytes = downloads.map((e) => e.bytes!);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
  });

  it('refuses a SHA256SUMS that lists another hash than the catalog, naming both, before the tarball', async () => {
    serve();
    const catalogHash = sha256Hex(Buffer.from('what the catalog says'));
    const error = await refusal(
      obtain({
        release: catalogRelease({
          files: { [ARCH]: { name: release.tarballName, sha256: catalogHash } },
        }),
      }),
    );
    expect(error.message).toContain(`lists ${sha256Hex(release.tarball)} for ${release.tarballName}`);
    expect(error.message).toContain(`the signed catalog says ${catalogHash}`);
    expect(error.data).toMatchObject({ check: 'checksum', expected: catalogHash });
    expect(requestsFor(release.tarballName)).toBe(0);
    expect(await cache.find('core', VERSION, ARCH)).toBeUndefined();
    expect(await readdir(join(cache.root, 'partial'))).toEqual([]);
  });

  it('refuses too few signatures before the tarball, naming the builder whose key it could not get', async () => {
    serve({ keys: [builders.alice, builders.bob, builders.dave] }); // carol's key is not served
    const error = await refusal(obtain());
    expect(error.message).toContain(`${TITLE} is refused: only 2 good signatures`);
    expect(error.message).toContain(`carol ${builders.carol.fingerprint}`);
    expect(error.message).toMatch(/404/);
    expect(error.data).toMatchObject({ check: 'signatures' });
    expect(requestsFor(release.tarballName)).toBe(0);
    await expectNothingKept();
  });

  it('refuses a tarball that does not hash to the catalog, keeping nothing', async () => {
    serve({ tarball: tampered(release.tarball) });
    const error = await refusal(obtain());
    expect(error.message).toContain(
      `but the signed catalog and the signed SHA256SUMS say ${sha256Hex(release.tarball)}`,
    );
    expect(error.data).toMatchObject({ check: 'checksum', actual: sha256Hex(tampered(release.tarball)) });
    await expectNothingKept();
  });

  it('tries the next source when one is down, and names them all when none serves', async () => {
    const down = await closedPortUrl();
    serve();
    const obtained = await obtain({
      release: catalogRelease({ sources: [`${down}bin/`, `${server.url}bin/`] }),
    });
    expect(obtained.via).toBe('download');
    expect(obtained.downloads[0]).toMatchObject({ outcome: 'unavailable', source: `${down}bin/` });

    await cache.discard('core', VERSION, ARCH);
    const error = await refusal(
      obtain({ release: catalogRelease({ sources: [`${down}bin/`, `${server.url}elsewhere/`] }) }),
    );
    expect(error.message).toContain(`could not get ${TITLE}: no source served SHA256SUMS`);
    expect(error.message).toContain(`${down}bin/bitcoin-core-${VERSION}/SHA256SUMS: `);
    expect(error.message).toContain(`${server.url}elsewhere/bitcoin-core-${VERSION}/SHA256SUMS: `);
    expect(error.message).toContain('--from');
    await expectNothingKept();
  });

  it('refuses a CPU the catalog has no build for, naming the CPUs it has, without asking anything', async () => {
    serve();
    const error = await refusal(obtain({ arch: 'riscv64-linux-gnu' }));
    expect(error.message).toContain("this node's CPU (riscv64-linux-gnu)");
    expect(error.message).toContain('it offers x86_64-linux-gnu, aarch64-linux-gnu');
    expect(server.requests).toEqual([]);
    expect(() => releaseFileFor({ title: TITLE, release: catalogRelease(), arch: ARCH })).not.toThrow();
  });
});

describe('obtainRelease: kept', () => {
  it('uses the kept release again without downloading, after checking it', async () => {
    serve();
    const first = await obtain();
    const asked = server.requests.length;
    const events: ProvisionProgress[] = [];
    const again = await obtain({ onProgress: (p) => events.push(p) });
    expect(again.via).toBe('kept');
    expect(again.tarballPath).toBe(first.tarballPath);
    expect(again.source).toBe(first.source);
    expect(again.signatures.ok).toBe(true);
    expect(again.binaries).toBeUndefined();
    // Kept keys, kept SHA256SUMS and signatures, kept tarball: nothing asked.
    expect(server.requests).toHaveLength(asked);
    expect(events.map((e) => e.phase)).toEqual(['verify', 'keys', 'signatures']);
  });

  it('fetches again a kept tarball that no longer hashes right (no kept binaries)', async () => {
    serve();
    const first = await obtain();
    await writeFile(first.tarballPath, tampered(release.tarball));
    const events: ProvisionProgress[] = [];
    const again = await obtain({ onProgress: (p) => events.push(p) });
    expect(again.via).toBe('download');
    expect(requestsFor(release.tarballName)).toBe(2);
    expect(await hashOf(again.tarballPath)).toBe(sha256Hex(release.tarball));
    expect(events.map((e) => e.detail)).toContainEqual(
      expect.stringMatching(/no longer verifies \(.*no longer hashes to .*\); fetching it again/),
    );
  });

  it('fetches again a kept release whose signatures were altered', async () => {
    serve();
    const first = await obtain();
    const kept = (await cache.find('core', VERSION, ARCH))!;
    await writeFile(kept.signaturesPath, await signatureFile(release.sha256sums, [builders.alice]));
    const again = await obtain();
    expect(again.via).toBe('download');
    expect(again.tarballPath).toBe(first.tarballPath);
    expect(await readFile((await cache.find('core', VERSION, ARCH))!.signaturesPath, 'utf8')).toBe(goodAsc);
  });

  it('keeps the kept release when the check is cancelled while it fetches a key', async () => {
    serve();
    await obtain();
    // The kept keys are gone, so the check asks the key source, which never answers.
    await rm(cache.keysDir, { recursive: true });
    const asked: string[] = [];
    const silent = createServer((req) => asked.push(req.url ?? ''));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const cancel = new AbortController();
    const events: ProvisionProgress[] = [];
    try {
      const obtaining = obtain({
        release: catalogRelease({ keySources: [`http://127.0.0.1:${port}/keys/{fingerprint}`] }),
        signal: cancel.signal,
        onProgress: (p) => events.push(p),
      });
      const deadline = Date.now() + 5_000;
      while (asked.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(asked).toHaveLength(1);
      cancel.abort(new Error('cancelled by the user'));
      await expect(obtaining).rejects.toThrow('cancelled by the user');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
    // Cancelling is not a failed check: the verified release stays, and nothing was downloaded.
    expect(await cache.find('core', VERSION, ARCH)).toBeDefined();
    expect(events.map((e) => e.detail)).not.toContainEqual(expect.stringContaining('no longer verifies'));
    expect(requestsFor(release.tarballName)).toBe(1);
  });

  describe('with kept binaries', () => {
    const bitcoind = Buffer.from('the bitcoind taken out at the first build');
    const cli = Buffer.from('the bitcoin-cli taken out at the first build');

    async function keepBinaries(): Promise<string> {
      const first = await obtain();
      const extracted = join(dir, 'extracted');
      await mkdir(extracted);
      await writeFile(join(extracted, 'bitcoind'), bitcoind);
      await writeFile(join(extracted, 'bitcoin-cli'), cli);
      await cache.keepBinaries(first.kept!, {
        bitcoind: { path: join(extracted, 'bitcoind'), member: `bitcoin-${VERSION}/bin/bitcoind` },
        'bitcoin-cli': { path: join(extracted, 'bitcoin-cli'), member: `bitcoin-${VERSION}/bin/bitcoin-cli` },
      });
      return first.tarballPath;
    }

    it('hands on the kept binaries when they still hash as recorded', async () => {
      serve();
      await keepBinaries();
      const again = await obtain();
      expect(again.via).toBe('kept');
      expect(again.binaries?.bitcoind.member).toBe(`bitcoin-${VERSION}/bin/bitcoind`);
      expect(await readFile(again.binaries!.bitcoind.path)).toEqual(bitcoind);
      expect(await readFile(again.binaries!['bitcoin-cli'].path)).toEqual(cli);
    });

    it('falls back to the kept tarball (re-hashed) when a kept binary was altered', async () => {
      serve();
      await keepBinaries();
      const kept = (await cache.find('core', VERSION, ARCH))!;
      await writeFile(cache.binaryPath(kept, 'bitcoind'), 'altered');
      const again = await obtain();
      // The tarball still verifies, so it is used (and rebuilt from) without downloading again.
      expect(again.via).toBe('kept');
      expect(again.binaries).toBeUndefined();
      expect(requestsFor(release.tarballName)).toBe(1);
    });

    it('fetches again when a kept binary and the tarball were both altered', async () => {
      serve();
      const tarballPath = await keepBinaries();
      const kept = (await cache.find('core', VERSION, ARCH))!;
      await rm(cache.binaryPath(kept, 'bitcoin-cli'));
      await writeFile(tarballPath, tampered(release.tarball));
      const again = await obtain();
      expect(again.via).toBe('download');
      expect(again.binaries).toBeUndefined();
      expect(requestsFor(release.tarballName)).toBe(2);
      const refetched = (await cache.find('core', VERSION, ARCH))!;
      expect(refetched.record.binaries).toBeUndefined();
      expect(await exists(join(refetched.dir, 'bin'))).toBe(false);
    });
  });
});

describe('obtainRelease: brought (--from)', () => {
  /** A USB stick: the release's three files and the builders' keys (armored and binary). */
  async function usbStick(files: { sums?: boolean; asc?: boolean; tarball?: Buffer } = {}): Promise<string> {
    const stick = join(dir, 'usb');
    await mkdir(stick, { recursive: true });
    await writeFile(join(stick, release.tarballName), files.tarball ?? release.tarball);
    if (files.sums !== false) await writeFile(join(stick, 'SHA256SUMS'), release.sha256sums);
    if (files.asc !== false) await writeFile(join(stick, 'SHA256SUMS.asc'), goodAsc);
    await writeFile(join(stick, 'alice.asc'), builders.alice.publicKey.armor());
    await writeFile(join(stick, 'bob.gpg'), builders.bob.publicKey.write());
    await writeFile(join(stick, 'carol.key'), builders.carol.publicKey.armor());
    return stick;
  }

  it('verifies and keeps a release brought as a folder, with its key files, asking no server', async () => {
    serve({ keys: [builders.dave] });
    const stick = await usbStick();
    const obtained = await obtain({ from: stick });
    expect(obtained.via).toBe('brought');
    expect(obtained.source).toBe(`file://${join(stick, release.tarballName)}`);
    expect(obtained.signatures.good).toHaveLength(3);
    expect(obtained.downloads).toEqual([]);
    // Only dave, whose key was not brought, was looked up; no release file was asked for.
    expect(server.requests).toEqual([`/keys/${builders.dave.fingerprint}`]);
    const kept = await cache.find('core', VERSION, ARCH);
    expect(kept?.record.source).toBe(obtained.source);
    expect(await hashOf(kept!.tarballPath)).toBe(sha256Hex(release.tarball));
    // Copied, not moved: the user's stick is untouched.
    expect(await hashOf(join(stick, release.tarballName))).toBe(sha256Hex(release.tarball));
    // The brought keys are kept too: the next check of the kept release needs no key file.
    expect((await readdir(cache.keysDir)).sort()).toEqual(
      pinnedBuilders()
        .map((b) => `${b.fingerprint}.asc`)
        .sort(),
    );
  });

  it('takes the tarball itself, with SHA256SUMS and its signatures beside it', async () => {
    serve();
    const stick = await usbStick();
    const obtained = await obtain({ from: join(stick, release.tarballName) });
    expect(obtained.via).toBe('brought');
    expect(requestsFor(release.tarballName)).toBe(0);
  });

  it('names what a brought folder lacks', async () => {
    serve();
    const noSums = await usbStick({ sums: false });
    let error = await refusal(obtain({ from: noSums }));
    expect(error.message).toContain(`${noSums} lacks SHA256SUMS (looked for ${join(noSums, 'SHA256SUMS')})`);
    await rm(noSums, { recursive: true });

    const noAsc = await usbStick({ asc: false });
    error = await refusal(obtain({ from: join(noAsc, release.tarballName) }));
    expect(error.message).toContain(`lacks SHA256SUMS.asc (looked for ${join(noAsc, 'SHA256SUMS.asc')})`);

    const empty = join(dir, 'empty');
    await mkdir(empty);
    error = await refusal(obtain({ from: empty }));
    expect(error.message).toContain(`${empty} lacks the release tarball ${release.tarballName}`);

    error = await refusal(obtain({ from: join(dir, 'no-such-stick') }));
    expect(error.message).toContain(`cannot read ${join(dir, 'no-such-stick')} (ENOENT)`);
    expect(server.requests).toEqual([]);
    await expectNothingKept();
  });

  it('refuses a brought tarball that is not the catalog’s, keeping nothing', async () => {
    serve();
    const stick = await usbStick({ tarball: tampered(release.tarball) });
    const error = await refusal(obtain({ from: stick }));
    expect(error.message).toContain(
      `but the signed catalog and the signed SHA256SUMS say ${sha256Hex(release.tarball)}`,
    );
    expect(error.data).toMatchObject({ check: 'checksum' });
    await expectNothingKept();
  });

  it('ignores a kept release when one is brought', async () => {
    serve();
    await obtain();
    const stick = await usbStick();
    const obtained = await obtain({ from: stick });
    expect(obtained.via).toBe('brought');
    expect((await cache.find('core', VERSION, ARCH))?.record.source).toBe(obtained.source);
  });
});
