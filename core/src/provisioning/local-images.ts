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

export const SBOM_FILE = 'sbom.cdx.json';
const PROVENANCE_FILE = 'provenance.json';

export class LocalImages {
  constructor(private readonly root: string) {}

  private dir(appId: string, version: string): string {
    return join(this.root, appId, version);
  }

  async find(appId: string, version: string): Promise<ImageProvenance | undefined> {
    try {
      const text = await readFile(join(this.dir(appId, version), PROVENANCE_FILE), 'utf8');
      return provenanceSchema.parse(JSON.parse(text));
    } catch {
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
    await writeFileAtomic(join(dir, PROVENANCE_FILE), `${JSON.stringify(full, null, 2)}\n`, 0o644);
    return full;
  }

  async forget(appId: string, version: string): Promise<void> {
    await rm(this.dir(appId, version), { recursive: true, force: true });
  }
}

/** `sha256:<hex>` whether Podman gave the bare hex or the prefixed form. */
export const normaliseImageId = (id: string): string => (id.startsWith('sha256:') ? id : `sha256:${id}`);
