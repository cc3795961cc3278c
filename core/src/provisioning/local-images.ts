// The images this node built itself, and why it trusts them: because it built them, from inputs it
// verified (an official release that passed the signature threshold and the catalog's SHA-256) or
// from files it ships (a bundled app's recipe). One folder per app version:
//
//   DATA_DIR/images/<app-id>/<version>/provenance.json   what went in, what came out (image ID)
//   DATA_DIR/images/<app-id>/<version>/sbom.cdx.json     every file of the image, its hash and origin
//
// An image is run by its ID (the digest of its config, so it names exactly what was built); a
// record whose image Podman no longer has is rebuilt, never trusted by name.

import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic-file.js';
import { JsonFile, type JsonFormat } from '../util/json-store.js';

const signerSchema = z.object({ fingerprint: z.string(), userId: z.string() });

const releaseOriginSchema = z.object({
  kind: z.literal('release'),
  implementation: z.enum(['core', 'knots']),
  arch: z.string(),
  tarball: z.string(),
  sha256: z.string(),
  /** Where the tarball came from: a URL, or file://… for a release the user brought. */
  source: z.string(),
  signers: z.array(signerSchema),
  threshold: z.number(),
});

const recipeOriginSchema = z.object({
  kind: z.literal('recipe'),
  /** The manifest whose `build:` this came from. */
  manifestFile: z.string(),
  /** SHA-256 over the recipe's inputs (the files copied in, the base): a change means a rebuild. */
  inputsSha256: z.string(),
});

const provenanceSchema = z.object({
  schemaVersion: z.literal(1),
  appId: z.string(),
  version: z.string(),
  /** The local tag, e.g. localhost/archipelago/bitcoin-core:31.1. */
  reference: z.string(),
  /** Podman's image ID, `sha256:<hex>`: what containers run. */
  imageId: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  builtAt: z.string(),
  origin: z.discriminatedUnion('kind', [releaseOriginSchema, recipeOriginSchema]),
  sbom: z.object({ file: z.string(), sha256: z.string(), format: z.string() }),
});

export type ImageProvenance = z.infer<typeof provenanceSchema>;
export type ReleaseOrigin = z.infer<typeof releaseOriginSchema>;
export type RecipeOrigin = z.infer<typeof recipeOriginSchema>;

// provenance.json through the typed JSON store, which owns the `schemaVersion` key on disk (the
// file carried it from the start); ImageProvenance keeps it for the callers that show it.
type StoredProvenance = Omit<ImageProvenance, 'schemaVersion'>;
const PROVENANCE_FORMAT: JsonFormat<StoredProvenance> = {
  what: 'image provenance',
  schema: provenanceSchema.omit({ schemaVersion: true }),
  version: 1,
  mode: 0o644,
};

export const SBOM_FILE = 'sbom.cdx.json';
const PROVENANCE_FILE = 'provenance.json';

export class LocalImages {
  constructor(private readonly root: string) {}

  private dir(appId: string, version: string): string {
    return join(this.root, appId, version);
  }

  private provenanceFile(appId: string, version: string): JsonFile<StoredProvenance> {
    return new JsonFile(join(this.dir(appId, version), PROVENANCE_FILE), PROVENANCE_FORMAT);
  }

  async find(appId: string, version: string): Promise<ImageProvenance | undefined> {
    try {
      const stored = await this.provenanceFile(appId, version).read();
      return stored && { schemaVersion: 1, ...stored };
    } catch {
      // Not valid (torn, edited, newer): as if absent — the image is built again.
      return undefined;
    }
  }

  /** The record whose image ID is this one: how the daemon recognises an image it built. */
  async findByImageId(appId: string, version: string, imageId: string): Promise<ImageProvenance | undefined> {
    const record = await this.find(appId, version);
    return record?.imageId === normaliseImageId(imageId) ? record : undefined;
  }

  async sbom(appId: string, version: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.dir(appId, version), SBOM_FILE), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Writes the SBOM, then the provenance naming it: a record never points at a missing SBOM. */
  async save(
    record: Omit<ImageProvenance, 'schemaVersion' | 'sbom'>,
    sbom: { json: string; sha256: string; format: string },
  ): Promise<ImageProvenance> {
    const dir = this.dir(record.appId, record.version);
    await writeFileAtomic(join(dir, SBOM_FILE), sbom.json, 0o644);
    const full: ImageProvenance = {
      schemaVersion: 1,
      ...record,
      sbom: { file: SBOM_FILE, sha256: sbom.sha256, format: sbom.format },
    };
    const { schemaVersion: _stamped, ...stored } = full;
    await this.provenanceFile(record.appId, record.version).write(stored);
    return full;
  }

  async forget(appId: string, version: string): Promise<void> {
    await rm(this.dir(appId, version), { recursive: true, force: true });
  }
}

/** `sha256:<hex>` whether Podman gave the bare hex or the prefixed form. */
export const normaliseImageId = (id: string): string => (id.startsWith('sha256:') ? id : `sha256:${id}`);
