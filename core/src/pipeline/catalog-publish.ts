// Adds a pushed, signed image to the signed catalog file named in the config: read it, check it
// is ours, add `{version, image, digest}` and pin the image's signing key to the app, sign it as the next version, replace the file
// atomically (a crash leaves the old catalog or the new one, never half of either).
//
// The existing file must carry a valid signature by the catalog key we sign with: otherwise a
// file someone edited on disk would be laundered into a validly signed catalog by our signature.
// A catalog file that does not exist yet is started empty (the first version published).

import { readFile } from 'node:fs/promises';
import {
  addVersion,
  emptyCatalog,
  parseCatalogEnvelope,
  pinImageKeys,
  readSigningKeyFile,
  signCatalog,
  type CatalogSigned,
  type Envelope,
} from '../catalog/index.js';
import { validSigners } from '../catalog/signed-metadata.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { releaseRefused } from './pipeline-error.js';

export interface CatalogEntry {
  appId: string;
  version: string;
  /** `<registry>/<repository>:<version>`: the catalog's image for this version. */
  image: string;
  digest: string;
  /**
   * The key id of the cosign key the image was signed with: pinned to the app (pinImageKeys), so
   * no other publisher's key can vouch for its images, nor this key for another publisher's.
   */
  imageKey?: string;
}

export interface PublishedCatalog {
  envelope: Envelope<CatalogSigned>;
  /** True when the file did not exist and was started empty. */
  created: boolean;
}

async function readCatalog(file: string): Promise<Envelope<CatalogSigned> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseCatalogEnvelope(JSON.parse(text), file);
}

/** Loads the catalog key; a 'config' refusal if it is missing, unreadable or not Ed25519. */
export async function loadCatalogKey(path: string): ReturnType<typeof readSigningKeyFile> {
  try {
    return await readSigningKeyFile(path);
  } catch (cause) {
    throw releaseRefused('config', (cause as Error).message, { cause });
  }
}

/** The catalog body with the entry added, checked to be ours; throws a plain Error saying why not. */
async function updatedBody(
  file: string,
  catalogKeyPath: string,
  key: Awaited<ReturnType<typeof readSigningKeyFile>>,
  entry: CatalogEntry,
): Promise<{ body: CatalogSigned; created: boolean }> {
  const current = await readCatalog(file);
  if (current) {
    const signers = validSigners(
      current,
      { keyids: [key.keyId], threshold: 1 },
      { [key.keyId]: key.publicKey },
    );
    if (signers.size === 0)
      throw new Error(
        `${file} is not signed by the catalog key ${catalogKeyPath} (key id ${key.keyId.slice(0, 12)}); ` +
          'refusing to re-sign a catalog this key did not sign — check catalog and catalogKey in the config',
      );
  }
  const added = addVersion(current?.signed ?? emptyCatalog(), entry.appId, {
    version: entry.version,
    image: entry.image,
    digest: entry.digest,
  });
  const body = entry.imageKey === undefined ? added : pinImageKeys(added, entry.appId, [entry.imageKey]);
  return { body, created: current === undefined };
}

/**
 * Checks, before anything is downloaded or pushed, that the entry could be added: the catalog
 * (if any) is signed by our key and accepts this image. A 'config' refusal otherwise. The digest
 * is not known yet; publishToCatalog checks everything again when it is.
 */
export async function checkCatalogUpdate(
  file: string,
  catalogKeyPath: string,
  entry: Omit<CatalogEntry, 'digest'>,
): Promise<void> {
  const key = await loadCatalogKey(catalogKeyPath);
  try {
    await updatedBody(file, catalogKeyPath, key, { ...entry, digest: `sha256:${'0'.repeat(64)}` });
  } catch (cause) {
    throw releaseRefused(
      'config',
      `${entry.appId} ${entry.version} could not be added to the catalog ${file}: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/** Adds the entry and writes the newly signed catalog over `file`. */
export async function publishToCatalog(
  file: string,
  catalogKeyPath: string,
  entry: CatalogEntry,
  options: { now?: Date } = {},
): Promise<PublishedCatalog> {
  const key = await loadCatalogKey(catalogKeyPath);
  try {
    const { body, created } = await updatedBody(file, catalogKeyPath, key, entry);
    const envelope = signCatalog(body, [key], options.now ? { now: options.now } : {});
    await writeFileAtomic(file, `${JSON.stringify(envelope, null, 2)}\n`, 0o644);
    return { envelope, created };
  } catch (cause) {
    throw releaseRefused(
      'publish',
      `adding ${entry.appId} ${entry.version} to the catalog ${file} failed: ${(cause as Error).message}`,
      { cause },
    );
  }
}
