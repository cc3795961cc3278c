// The parts of the provisioner's decision that need no Podman: `--from` refused for a version
// not built from an official release, and with a release always going to the brought files
// (never the kept image or a registry), and the CPU names official releases use. Building,
// reusing a kept image and pulling run Podman: core/test/daemon/release-install.test.ts covers
// them end to end. Here Podman's two entry points fail the test if they are reached at all.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import type { OfficialRelease } from '../catalog/index.js';
import { ImageTrust } from '../orchestrator/image-trust.js';
import { tempFolder } from '../pipeline/spec-release-fixture.js';
import { ImageProvisioner, isLocalReference, releaseArchOf } from './image-provisioner.js';
import { LocalImages } from './local-images.js';
import { NodeImageBuilder } from './node-image-builder.js';
import { ReleaseCache } from './release-cache.js';

const ARCH = 'x86_64-linux-gnu';
const TARBALL_SHA256 = 'cd'.repeat(32);

let dir: string;
let images: LocalImages;
let podmanCalls: string[];
let provisioner: ImageProvisioner;

beforeEach(async () => {
  dir = await tempFolder('provisioner');
  images = new LocalImages(join(dir, 'images'));
  podmanCalls = [];
  const logger = pino({ level: 'silent' });
  provisioner = new ImageProvisioner({
    trust: new ImageTrust({
      keyDirs: [],
      insecureRegistries: new Set(),
      unsignedRegistries: new Set(),
      logger,
    }),
    images,
    cache: new ReleaseCache(join(dir, 'releases')),
    builder: new NodeImageBuilder({ images, workRoot: join(dir, 'work') }),
    arch: ARCH,
    imageExists: (reference) => {
      podmanCalls.push(`exists ${reference}`);
      throw new Error('Podman must not be asked on this path');
    },
    pull: (_appId, reference) => {
      podmanCalls.push(`pull ${reference}`);
      throw new Error('nothing must be pulled on this path');
    },
    logger,
  });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const officialRelease = (): OfficialRelease => ({
  implementation: 'core',
  files: { [ARCH]: { name: `bitcoin-31.1-${ARCH}.tar.gz`, sha256: TARBALL_SHA256 } },
  // Never reached in these tests: a --from install reads only the brought folder.
  sources: ['http://127.0.0.1:9/bin/'],
  keySources: ['http://127.0.0.1:9/keys/{fingerprint}'],
  builders: [{ name: 'alice', fingerprint: 'A'.repeat(40) }],
  threshold: 1,
});

async function refusal(promise: Promise<unknown>): Promise<ArchyError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'provide should have refused').toBeInstanceOf(ArchyError);
  return error as ArchyError;
}

describe('ImageProvisioner.provide with --from', () => {
  it('refuses --from for a version not built from an official release', async () => {
    const error = await refusal(
      provisioner.provide({
        appId: 'demo',
        title: 'Demo',
        version: '1.0.0',
        image: 'localhost/apps/demo:1.0.0',
        recipe: {
          manifestFile: join(dir, 'demo', 'manifest.yml'),
          spec: { base: 'busybox', applets: ['sh'], files: [] },
        },
        from: join(dir, 'usb'),
      }),
    );
    expect(error.code).toBe(RpcErrorCode.InvalidParams);
    expect(error.message).toBe(
      '--from installs an official release the user brought; Demo 1.0.0 is not built from one',
    );
    expect(podmanCalls).toEqual([]);
  });

  it('goes to the brought release, passing over a kept image and the signed one', async () => {
    // A kept image built from exactly this release: without --from it would be asked about.
    await images.save(
      {
        appId: 'bitcoin-core',
        version: '31.1',
        reference: 'localhost/archipelago/bitcoin-core:31.1',
        imageId: `sha256:${'ab'.repeat(32)}`,
        builtAt: '2026-05-01T00:00:00.000Z',
        origin: {
          kind: 'release',
          implementation: 'core',
          arch: ARCH,
          tarball: `bitcoin-31.1-${ARCH}.tar.gz`,
          sha256: TARBALL_SHA256,
          source: 'http://127.0.0.1:9/',
          signers: [],
          threshold: 1,
        },
      },
      { json: '{}', sha256: 'ef'.repeat(32), format: 'CycloneDX 1.6 JSON' },
    );
    const missing = join(dir, 'no-such-usb-stick');
    const error = await refusal(
      provisioner.provide({
        appId: 'bitcoin-core',
        title: 'Bitcoin Core',
        version: '31.1',
        image: '127.0.0.1:9/archipelago/bitcoin-core:31.1',
        release: officialRelease(),
        from: missing,
      }),
    );
    expect(error.code).toBe(RpcErrorCode.ImageUnavailable);
    expect(error.message).toContain(`cannot read ${missing} (ENOENT)`);
    expect(podmanCalls).toEqual([]);
  });
});

describe('releaseArchOf', () => {
  it("maps Node's CPU names to the target triplets releases are built for", () => {
    expect(releaseArchOf('x64')).toBe('x86_64-linux-gnu');
    expect(releaseArchOf('arm64')).toBe('aarch64-linux-gnu');
    expect(releaseArchOf('riscv64')).toBe('riscv64-linux-gnu');
    expect(releaseArchOf()).toBe(releaseArchOf(process.arch));
  });
});

describe('isLocalReference', () => {
  it('is true only for localhost/ names', () => {
    expect(isLocalReference('localhost/archipelago/bitcoin-core:31.1')).toBe(true);
    expect(isLocalReference('127.0.0.1:5000/archipelago/bitcoin-core:31.1')).toBe(false);
    expect(isLocalReference('docker.io/library/localhost:1')).toBe(false);
  });
});
