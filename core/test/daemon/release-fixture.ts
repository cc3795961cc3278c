// What the tests of Bitcoin Core from its official release share (release-install.test.ts, the
// browser test web-ui-release.test.ts): upstream-shaped releases whose bitcoind is the bitcoind TEST
// DOUBLE compiled to claim each version, served by a release mirror on 127.0.0.1 with SHA256SUMS
// signed by builder keys made here; a catalog of bitcoin-core's versions and their releases, signed
// by a root made here; and the Bitcoin manifests with bitcoin-core's image in a test repository.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  addVersion,
  createRoot,
  emptyCatalog,
  expiresIn,
  generateSigningKey,
  signCatalog,
  type CatalogSigned,
} from '../../src/catalog/index.js';
import { signatureFile, type BuilderKey, type BuilderSet } from '../../src/pipeline/spec-release-fixture.js';
import { compileBitcoindDouble } from '../support/bitcoind-double-images.js';
import { tempDataDir } from '../support/index.js';
import { ARCH, makeReleaseTarball, sha256Hex, type ReleaseFiles } from '../pipeline/pipeline-fixture.js';
import { writeBitcoinApps } from './bitcoin-apps.js';
import type { ReleaseMirror } from './release-mirror.js';

export { ARCH };

/** Where a Core version's files live on the mirror (upstream's layout below /bin/). */
export const releaseFolder = (version: string): string => `/bin/bitcoin-core-${version}/`;

export interface BuiltRelease extends ReleaseFiles {
  /** The double as compiled for this version: what bitcoind in its image must hash to. */
  bitcoind: Buffer;
}

/** A release of `version` made under `dir`, its bitcoind the double claiming that version. */
export async function makeDoubleRelease(
  dir: string,
  version: string,
  fillerBytes = 0,
): Promise<BuiltRelease> {
  const binary = await compileBitcoindDouble({ defaultVersion: version });
  mkdirSync(dir, { recursive: true });
  const release = await makeReleaseTarball(dir, version, { bitcoind: binary, fillerBytes });
  return { ...release, bitcoind: readFileSync(binary) };
}

/** Serves a release on the mirror: SHA256SUMS signed by `signers`, and the tarball (or another body). */
export async function serveRelease(
  mirror: ReleaseMirror,
  release: ReleaseFiles,
  signers: readonly BuilderKey[],
  tarball: Buffer = release.tarball,
): Promise<void> {
  const folder = releaseFolder(release.version);
  mirror.put(`${folder}SHA256SUMS`, release.sha256sums);
  mirror.put(`${folder}SHA256SUMS.asc`, await signatureFile(release.sha256sums, [...signers]));
  mirror.put(`${folder}${release.tarballName}`, tarball);
}

/** The builders every release catalog here pins, and whose keys the mirror serves. */
export const pinnedBuilders = (builders: BuilderSet): BuilderKey[] => [
  builders.alice,
  builders.bob,
  builders.carol,
  builders.dave,
];

export function serveBuilderKeys(mirror: ReleaseMirror, builders: BuilderSet): void {
  for (const builder of pinnedBuilders(builders))
    mirror.put(`/keys/${builder.fingerprint}`, builder.publicKey.armor());
}

/** A catalog folder for ARCHY_CATALOG_DIR: a root made here and `catalog`, signed by it. */
export function writeSignedCatalog(name: string, catalog: CatalogSigned): string {
  const key = generateSigningKey();
  const now = new Date();
  const root = createRoot(
    {
      rootKeys: [key.publicKey],
      rootThreshold: 1,
      catalogKeys: [key.publicKey],
      catalogThreshold: 1,
      expires: expiresIn(now, 30),
    },
    [key],
  );
  const dir = tempDataDir(name);
  writeFileSync(join(dir, 'root.json'), JSON.stringify(root));
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify(signCatalog(catalog, [key], { now })));
  return dir;
}

/**
 * bitcoin-core's versions with their releases on the mirror (pinned builders, threshold 3), images
 * in `repository`; `overrides` gives a version's own release fields (e.g. other sources).
 */
export function writeReleaseCatalog(options: {
  name: string;
  mirror: ReleaseMirror;
  builders: BuilderSet;
  releases: ReadonlyMap<string, ReleaseFiles>;
  repository: string;
  defaultVersion: string;
  overrides?: (version: string) => Record<string, unknown>;
}): string {
  let catalog = emptyCatalog();
  for (const [version, release] of options.releases) {
    catalog = addVersion(
      catalog,
      'bitcoin-core',
      {
        version,
        image: `${options.repository}:${version}`,
        release: {
          files: { [ARCH]: { name: release.tarballName, sha256: sha256Hex(release.tarball) } },
          ...options.overrides?.(version),
        },
      },
      { makeDefault: version === options.defaultVersion },
    );
  }
  (catalog.apps['bitcoin-core'] as Record<string, unknown>).release = {
    implementation: 'core',
    sources: [options.mirror.releases],
    keySources: [options.mirror.keySource],
    builders: pinnedBuilders(options.builders).map((b) => ({ name: b.name, fingerprint: b.fingerprint })),
    threshold: 3,
  };
  return writeSignedCatalog(options.name, catalog);
}

/**
 * The repo's Bitcoin manifests made quick for regtest, bitcoin-core's image in `repository` at
 * `version`; `edit` may change bitcoin-core's manifest further.
 */
export async function writeReleaseApps(
  repository: string,
  version: string,
  edit?: (manifest: Record<string, unknown>) => void,
): Promise<string> {
  const apps = await writeBitcoinApps();
  const file = join(apps, 'bitcoin-core', 'manifest.yml');
  const manifest = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  manifest.version = version;
  manifest.image = `${repository}:${version}`;
  edit?.(manifest);
  writeFileSync(file, stringify(manifest));
  return apps;
}
