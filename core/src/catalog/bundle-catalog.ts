// Builds the catalog bundled with the software (repo `catalog/`): the trusted root and the signed
// catalog of curated releases listed in `catalog/releases.json`.
//
// Private keys never enter the repository. They live in a keys folder outside it (default
// ~/.archipelago-dev-keys/catalog, mode 0700, files 0600): a run creates whichever is missing,
// and root version 1 when there is no committed root; later runs re-sign with them. A developer
// without the keys that signed the committed root starts a new root with `newRoot` (dev only:
// a node's stored roots of the old chain no longer chain to it and are quarantined at its next
// load, with a logged reason). Production signs with the fleet's offline root keys and the
// pipeline's catalog key.

import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { CATALOG_FILE, ROOT_FILE } from './catalog-store.js';
import {
  addVersion,
  createKeyFiles,
  createRoot,
  DEFAULT_ROOT_VALID_DAYS,
  emptyCatalog,
  expiresIn,
  pinImageKeys,
  readSigningKeyFile,
  signCatalog,
} from './publisher.js';
import {
  parseCatalogEnvelope,
  parseRoot,
  type CatalogSigned,
  type Envelope,
  type RootSigned,
  type SigningKey,
} from './signed-metadata.js';
import { pathExists } from '../util/path-exists.js';

export const DEFAULT_DEV_KEYS_DIR = join(homedir(), '.archipelago-dev-keys', 'catalog');
export const RELEASES_FILE = 'releases.json';
/** The bundled catalog must outlive releases between re-signings; a year, then a test says re-sign. */
export const BUNDLED_CATALOG_VALID_DAYS = 365;
const ROOT_KEY = 'root';
const CATALOG_KEY = 'catalog';

// What a curator writes: per app its image repository, the default, the app-wide release facts
// (sources, key sources, pinned builders, threshold) and per version the official file's SHA-256
// for each CPU. The catalog spells the file names out (official-release.ts checks them).
const releasesSchema = z.strictObject({
  apps: z.record(
    z.string(),
    z.strictObject({
      repository: z.string().min(1),
      default: z.string().min(1),
      release: z.record(z.string(), z.unknown()).optional(),
      /** Image key ids only these apps' images may be signed with (publisher.ts pinImageKeys). */
      imageKeys: z.array(z.string()).optional(),
      versions: z.array(
        z.strictObject({
          version: z.string().min(1),
          digest: z.string().optional(),
          deprecated: z.boolean().optional(),
          eol: z.string().optional(),
          notes: z.string().optional(),
          /** SHA-256 of the official tarball per CPU target triplet. */
          sha256: z.record(z.string(), z.string()).optional(),
        }),
      ),
    }),
  ),
});
export type CuratedReleases = z.infer<typeof releasesSchema>;

export interface BundleOptions {
  /** The repo's catalog/ folder. */
  outDir: string;
  keysDir?: string;
  now?: Date;
  /** Start over with new keys and root version 1 (when the old keys are not on this machine). */
  newRoot?: boolean;
}

export interface BundleResult {
  root: Envelope<RootSigned>;
  catalog: Envelope<CatalogSigned>;
  createdKeys: boolean;
}

/** The unsigned catalog body for the curated releases (pure). */
export function curatedCatalog(releases: CuratedReleases, previousVersion: number): CatalogSigned {
  let catalog: CatalogSigned = { ...emptyCatalog(), version: previousVersion };
  for (const [appId, app] of Object.entries(releases.apps)) {
    for (const { sha256, ...entry } of app.versions) {
      const files =
        sha256 &&
        Object.fromEntries(
          Object.entries(sha256).map(([arch, hash]) => [
            arch,
            { name: `bitcoin-${entry.version}-${arch}.tar.gz`, sha256: hash },
          ]),
        );
      catalog = addVersion(
        catalog,
        appId,
        { ...entry, image: `${app.repository}:${entry.version}`, ...(files && { release: { files } }) },
        { makeDefault: entry.version === app.default },
      );
    }
    if (app.imageKeys) catalog = pinImageKeys(catalog, appId, app.imageKeys);
    if (app.release) {
      catalog = {
        ...catalog,
        apps: { ...catalog.apps, [appId]: { ...(catalog.apps[appId] as object), release: app.release } },
      };
    }
  }
  return catalog;
}

export async function bundleCatalog(options: BundleOptions): Promise<BundleResult> {
  const keysDir = options.keysDir ?? DEFAULT_DEV_KEYS_DIR;
  const now = options.now ?? new Date();
  const releases = releasesSchema.parse(
    JSON.parse(await readFile(join(options.outDir, RELEASES_FILE), 'utf8')),
  );

  const { rootKey, catalogKey, createdKeys } = await loadOrCreateKeys(keysDir);
  let root = options.newRoot
    ? undefined
    : await readOptional(join(options.outDir, ROOT_FILE)).then((json) =>
        json === undefined ? undefined : parseRoot(json, 'the committed root'),
      );
  if (root) {
    const trusts =
      root.signed.roles.root.keyids.includes(rootKey.keyId) &&
      root.signed.roles.catalog.keyids.includes(catalogKey.keyId);
    if (!trusts) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `the committed root (version ${root.signed.version}) trusts other keys than those in ${keysDir}; ` +
          'copy the keys that signed it there, or start a new dev root with --new-root',
      );
    }
  }
  if (!root) {
    root = createRoot(
      {
        rootKeys: [rootKey.publicKey],
        rootThreshold: 1,
        catalogKeys: [catalogKey.publicKey],
        catalogThreshold: 1,
        expires: expiresIn(now, 3 * DEFAULT_ROOT_VALID_DAYS),
      },
      [rootKey],
    );
    await writeFile(
      join(options.outDir, `${root.signed.version}.root.json`),
      `${JSON.stringify(root, null, 2)}\n`,
    );
    await writeFile(join(options.outDir, ROOT_FILE), `${JSON.stringify(root, null, 2)}\n`);
  }

  // Versions only go up, even across a new dev root, so nodes holding an older bundle accept it.
  const previous = await readOptional(join(options.outDir, CATALOG_FILE));
  const previousVersion = previous ? parseCatalogEnvelope(previous).signed.version : 0;
  const catalog = signCatalog(curatedCatalog(releases, previousVersion), [catalogKey], {
    now,
    validDays: BUNDLED_CATALOG_VALID_DAYS,
  });
  await writeFile(join(options.outDir, CATALOG_FILE), `${JSON.stringify(catalog, null, 2)}\n`);
  return { root, catalog, createdKeys };
}

async function loadOrCreateKeys(
  keysDir: string,
): Promise<{ rootKey: SigningKey; catalogKey: SigningKey; createdKeys: boolean }> {
  let createdKeys = false;
  const load = async (name: string): Promise<SigningKey> => {
    const path = join(keysDir, `${name}.key`);
    if (!(await pathExists(path))) {
      await createKeyFiles(keysDir, name);
      createdKeys = true;
    }
    return readSigningKeyFile(path);
  };
  const rootKey = await load(ROOT_KEY);
  const catalogKey = await load(CATALOG_KEY);
  return { rootKey, catalogKey, createdKeys };
}

async function readOptional(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
