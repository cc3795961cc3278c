// What a catalog publisher does: create keys, write a root, add versions, sign the catalog and
// rotate the root. The image pipeline and `archy catalog-publish` call these; the metadata
// operations are pure (objects in, objects out) and only the key files touch the disk.

import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { isFloatingTag, parseImageReference } from '../manifest/index.js';
import { compareAppVersions } from '../resolver/index.js';
import { APP_ID_PATTERN } from '../util/app-id.js';
import { IMAGE_KEY_ID_PATTERN, sameRepository } from './catalog-schema.js';
import {
  keyIdOf,
  publicKeyJsonOf,
  generateSigningKey,
  signEnvelope,
  SPEC_VERSION,
  type CatalogSigned,
  type Envelope,
  type PublicKeyJson,
  type RootSigned,
  type SigningKey,
} from './signed-metadata.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Default validity of a signed catalog: the longest a frozen (replayed) catalog keeps working. */
export const DEFAULT_CATALOG_VALID_DAYS = 30;
export const DEFAULT_ROOT_VALID_DAYS = 365;

const publishError = (message: string): ArchyError => new ArchyError(RpcErrorCode.InvalidParams, message);

// ---------------------------------------------------------------------------------------------
// Key files

export interface KeyFiles {
  keyId: string;
  privateKeyPath: string;
  publicKeyPath: string;
  publicKey: PublicKeyJson;
}

/**
 * Creates `<name>.key` (PKCS#8 PEM, mode 0600) and `<name>.pub` (the public key as the root lists
 * it) in `dir`. Never overwrites: the key may be one a root already trusts.
 */
export async function createKeyFiles(dir: string, name: string): Promise<KeyFiles> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
    throw publishError(`key name '${name}' may hold lowercase letters, digits, ".", "_" and "-"`);
  }
  const privateKeyPath = join(dir, `${name}.key`);
  const publicKeyPath = join(dir, `${name}.pub`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const key = generateSigningKey();
  const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    await writeFile(privateKeyPath, pem, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `${privateKeyPath} already exists; it may be a key a root trusts, so it is not overwritten. Choose another name.`,
      );
    }
    throw err;
  }
  await writeFile(publicKeyPath, `${JSON.stringify(key.publicKey, null, 2)}\n`, { mode: 0o644, flag: 'w' });
  return { keyId: key.keyId, privateKeyPath, publicKeyPath, publicKey: key.publicKey };
}

/** Reads a private key file, refusing one other users can read (as ssh does). */
export async function readSigningKeyFile(path: string): Promise<SigningKey> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    throw publishError(
      `cannot read catalog signing key ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); ` +
        'create one with: archy catalog-publish keygen <dir> <name>',
    );
  }
  if ((mode & 0o077) !== 0) {
    throw publishError(
      `catalog signing key ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); fix it with: chmod 600 ${path}`,
    );
  }
  let privateKey;
  try {
    privateKey = createPrivateKey({ key: await readFile(path, 'utf8'), format: 'pem' });
  } catch (err) {
    throw publishError(`${path} is not a PEM private key: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw publishError(`${path} is a ${privateKey.asymmetricKeyType} key; catalog keys are Ed25519`);
  }
  const publicKey = publicKeyJsonOf(createPublicKey(privateKey));
  return { keyId: keyIdOf(publicKey), publicKey, privateKey };
}

export async function readPublicKeyFile(path: string): Promise<PublicKeyJson> {
  const json = JSON.parse(await readFile(path, 'utf8')) as PublicKeyJson;
  if (json.keytype !== 'ed25519' || typeof json.keyval?.public !== 'string') {
    throw publishError(`${path} is not a catalog public key ({ keytype: "ed25519", keyval: { public } })`);
  }
  return { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: json.keyval.public } };
}

// ---------------------------------------------------------------------------------------------
// Root

export interface RootDefinition {
  rootKeys: readonly PublicKeyJson[];
  rootThreshold: number;
  catalogKeys: readonly PublicKeyJson[];
  catalogThreshold: number;
  expires: Date;
}

function rootBody(definition: RootDefinition, version: number): RootSigned {
  for (const [role, keys, threshold] of [
    ['root', definition.rootKeys, definition.rootThreshold],
    ['catalog', definition.catalogKeys, definition.catalogThreshold],
  ] as const) {
    const distinct = new Set(keys.map(keyIdOf)).size;
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > distinct) {
      throw publishError(
        `the ${role} threshold must be from 1 to the ${distinct} distinct ${role} keys given, got ${threshold}`,
      );
    }
  }
  const keys: Record<string, PublicKeyJson> = {};
  for (const key of [...definition.rootKeys, ...definition.catalogKeys]) keys[keyIdOf(key)] = key;
  const ids = (list: readonly PublicKeyJson[]) => [...new Set(list.map(keyIdOf))].sort();
  return {
    _type: 'root',
    specVersion: SPEC_VERSION,
    version,
    expires: isoSeconds(definition.expires),
    keys,
    roles: {
      root: { keyids: ids(definition.rootKeys), threshold: definition.rootThreshold },
      catalog: { keyids: ids(definition.catalogKeys), threshold: definition.catalogThreshold },
    },
  };
}

/** The first root (version 1), signed by its own root keys. */
export function createRoot(
  definition: RootDefinition,
  rootSigners: readonly SigningKey[],
): Envelope<RootSigned> {
  return signEnvelope(rootBody(definition, 1), rootSigners);
}

/**
 * Root version N+1: new keys and thresholds, signed by the old root's keys *and* the new root's
 * (nodes need a threshold of both). This is how a compromised or lost key is replaced.
 */
export function rotateRoot(
  current: Envelope<RootSigned>,
  definition: RootDefinition,
  signers: { oldRootKeys: readonly SigningKey[]; newRootKeys: readonly SigningKey[] },
): Envelope<RootSigned> {
  const body = rootBody(definition, current.signed.version + 1);
  const all = new Map([...signers.oldRootKeys, ...signers.newRootKeys].map((key) => [key.keyId, key]));
  return signEnvelope(body, [...all.values()]);
}

// ---------------------------------------------------------------------------------------------
// Catalog

/** A catalog with no apps and version 0, to add versions to before the first signing. */
export function emptyCatalog(): CatalogSigned {
  return {
    _type: 'catalog',
    specVersion: SPEC_VERSION,
    version: 0,
    expires: isoSeconds(new Date(0)),
    apps: {},
  };
}

export interface NewVersion {
  version: string;
  image: string;
  digest?: string;
  deprecated?: boolean;
  eol?: string;
  notes?: string;
  /** A version's official release (files per CPU and their SHA-256); see official-release.ts. */
  release?: Record<string, unknown>;
}

/**
 * Adds (or updates, e.g. with the digest the pipeline learned) one version of an app. The first
 * version of an app, or one added with `makeDefault`, becomes its default. Refuses floating tags
 * and images outside the app's repository, the same rules nodes apply when reading.
 */
export function addVersion(
  catalog: CatalogSigned,
  appId: string,
  entry: NewVersion,
  options: { makeDefault?: boolean } = {},
): CatalogSigned {
  if (!APP_ID_PATTERN.test(appId)) throw publishError(`'${appId}' is not an app id`);
  if (isFloatingTag(entry.version)) {
    throw publishError(`'${entry.version}' is a floating tag, not a version; publish a pinned version`);
  }
  const reference = parseImageReference(entry.image);
  if (!reference.ok) throw publishError(reference.reason);
  if (entry.digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(entry.digest)) {
    throw publishError(`digest '${entry.digest}' is not sha256: followed by 64 lowercase hex digits`);
  }

  const existing = catalog.apps[appId] as
    | { version: string; image: string; versions?: Record<string, unknown>[]; [field: string]: unknown }
    | undefined;
  if (existing && !sameRepository(existing.image, entry.image)) {
    throw publishError(
      `image ${entry.image} is not in ${appId}'s repository (${existing.image}); a version may not swap in another image`,
    );
  }
  const line: Record<string, unknown> = {
    version: entry.version,
    image: entry.image,
    ...(entry.digest !== undefined && { digest: entry.digest }),
    ...(entry.deprecated && { deprecated: true }),
    ...(entry.eol !== undefined && { eol: entry.eol }),
    ...(entry.notes !== undefined && { notes: entry.notes }),
    ...(entry.release !== undefined && { release: entry.release }),
  };
  const makeDefault = options.makeDefault === true || existing === undefined;
  const others = (existing?.versions ?? []).filter((item) => item['version'] !== entry.version);
  // Updating a listed version (the pipeline adding its digest) keeps what the catalog already said
  // about it — deprecated, eol, notes, its release — unless this entry says it anew.
  const previous = (existing?.versions ?? []).find((item) => item['version'] === entry.version);
  const { default: _wasDefault, ...kept } = previous ?? {};
  const merged = { ...kept, ...line };
  const versions = [...others, merged]
    .map((item) => {
      const { default: _default, ...rest } = item;
      const isDefault = makeDefault
        ? rest['version'] === entry.version
        : rest['version'] === existing!.version;
      return isDefault ? { ...rest, default: true } : rest;
    })
    .sort((a, b) => compareAppVersions(String(b['version']), String(a['version'])));
  const defaultLine = versions.find((item) => item['default'] === true) ?? merged;
  return {
    ...catalog,
    apps: {
      ...catalog.apps,
      [appId]: { ...existing, version: defaultLine['version'], image: defaultLine['image'], versions },
    },
  };
}

/**
 * Pins image keys (cosign key ids) to an app: from then on only they vouch for its images, and
 * they vouch for no app that does not pin them (image-key-pins.ts). Adds to the keys already
 * pinned, so a publisher can roll over to a new key before retiring the old one.
 */
export function pinImageKeys(
  catalog: CatalogSigned,
  appId: string,
  keyIds: readonly string[],
): CatalogSigned {
  const existing = catalog.apps[appId] as { imageKeys?: unknown; [field: string]: unknown } | undefined;
  if (!existing)
    throw publishError(`'${appId}' is not in the catalog; add a version before pinning its image keys`);
  for (const keyId of keyIds) {
    if (!IMAGE_KEY_ID_PATTERN.test(keyId)) {
      throw publishError(
        `image key id '${keyId}' is not 64 lowercase hex digits (the key id archy image keygen prints)`,
      );
    }
  }
  if (keyIds.length === 0) return catalog;
  const current = Array.isArray(existing.imageKeys) ? (existing.imageKeys as string[]) : [];
  const imageKeys = [...new Set([...current, ...keyIds])].sort();
  return { ...catalog, apps: { ...catalog.apps, [appId]: { ...existing, imageKeys } } };
}

/** Signs the catalog as its next version, valid for `validDays` from `now`. */
export function signCatalog(
  catalog: CatalogSigned,
  keys: readonly SigningKey[],
  options: { now?: Date; validDays?: number } = {},
): Envelope<CatalogSigned> {
  if (keys.length === 0) throw publishError('signing a catalog needs at least one catalog key');
  const now = options.now ?? new Date();
  const validDays = options.validDays ?? DEFAULT_CATALOG_VALID_DAYS;
  const signed: CatalogSigned = {
    ...catalog,
    version: catalog.version + 1,
    expires: isoSeconds(new Date(now.getTime() + validDays * DAY_MS)),
  };
  return signEnvelope(signed, keys);
}

/** Whole seconds, UTC, "Z": the form expiry dates are written in. */
export const isoSeconds = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`;

export const expiresIn = (now: Date, days: number): Date => new Date(now.getTime() + days * DAY_MS);

// ---------------------------------------------------------------------------------------------
// Output for the CLI and the pipeline's log

export function formatKeyFiles(files: KeyFiles): string {
  return [
    `created catalog key ${files.keyId}`,
    `  private: ${files.privateKeyPath} (mode 0600; keep it offline, never commit it)`,
    `  public:  ${files.publicKeyPath}`,
  ].join('\n');
}

export function formatSignedCatalog(envelope: Envelope<CatalogSigned>): string {
  const apps = Object.entries(envelope.signed.apps).map(([id, app]) => {
    const entry = app as { version?: unknown; versions?: { version?: unknown }[] };
    const versions = (entry.versions ?? []).map((item) => String(item.version)).join(', ');
    return `  ${id}: default ${String(entry.version)}${versions ? ` (${versions})` : ''}`;
  });
  return [
    `signed catalog version ${envelope.signed.version}, expires ${envelope.signed.expires}, ` +
      `${envelope.signatures.length} signature${envelope.signatures.length === 1 ? '' : 's'}`,
    ...apps,
  ].join('\n');
}

export function formatRoot(envelope: Envelope<RootSigned>): string {
  const { root, catalog } = envelope.signed.roles;
  const short = (ids: string[]) => ids.map((id) => id.slice(0, 12)).join(', ');
  return [
    `root version ${envelope.signed.version}, expires ${envelope.signed.expires}`,
    `  root keys (${root.threshold} of ${root.keyids.length}): ${short(root.keyids)}`,
    `  catalog keys (${catalog.threshold} of ${catalog.keyids.length}): ${short(catalog.keyids)}`,
  ].join('\n');
}
