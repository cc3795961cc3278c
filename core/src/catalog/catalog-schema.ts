// What a catalog says about each app: its default `version` and `image` (what older nodes read)
// and the `versions[]` a user may choose from.
//
// Unlike manifests, the catalog is read forgivingly: fields we don't know are ignored (a newer
// publisher may add some; older nodes must keep working), and an entry we can't use — a floating
// tag, an image from another repository, a malformed line — is dropped with its reason rather than
// failing the whole catalog, which would leave the node with no catalog at all.

import { z } from 'zod';
import { compareAppVersions } from '../resolver/index.js';
import { isFloatingTag, parseImageReference } from '../manifest/index.js';
import { sameRepository as sameImageRepository, splitImageReference } from '../util/image-reference.js';
import { APP_ID_PATTERN } from '../util/app-id.js';
import {
  parseAppRelease,
  parseVersionRelease,
  type AppReleaseDefaults,
  type OfficialRelease,
} from './official-release.js';

export interface CatalogVersion {
  version: string;
  image: string;
  /** Filled in by the image pipeline when it publishes the image; never guessed. */
  digest?: string;
  default: boolean;
  deprecated: boolean;
  /** End of life, as the publisher wrote it (e.g. "2026-10-01"). */
  eol?: string;
  notes?: string;
  /**
   * The official release this version is built from on the node (Bitcoin Core/Knots): files per
   * CPU with their SHA-256, sources, pinned builders. Absent: the image is pulled and verified.
   */
  release?: OfficialRelease;
}

export interface CatalogApp {
  id: string;
  /** The default version: what a plain install picks and what update detection aims at. */
  version: string;
  image: string;
  /** Newest first; exactly one has `default: true`. */
  versions: CatalogVersion[];
  /**
   * The image keys (cosign key ids: hex SHA-256 of the DER public key) allowed to vouch for this
   * app's images, sorted. A key pinned here vouches for the apps that pin it and no other (see
   * image-key-pins.ts); absent: the app's images verify against the node's unpinned keys.
   */
  imageKeys?: string[];
}

export interface Catalog {
  apps: Record<string, CatalogApp>;
}

export interface DroppedEntry {
  app: string;
  version?: string;
  reason: string;
}

export interface ParsedCatalog {
  catalog: Catalog;
  dropped: DroppedEntry[];
}

// Same character rules as a manifest's version: versions become image tags and folder names.
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$/;

const versionEntrySchema = z.object({
  version: z.string().regex(VERSION_PATTERN, 'expected a version such as "28.4"'),
  image: z.string(),
  digest: z
    .string()
    .regex(/^sha256:[a-f0-9]{64}$/, 'expected sha256: and 64 lowercase hex digits')
    .optional(),
  default: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  eol: z.string().optional(),
  notes: z.string().optional(),
  release: z.unknown().optional(),
});

/** A cosign key id (keyIdOf in security/image-signing): 64 lowercase hex digits. */
export const IMAGE_KEY_ID_PATTERN = /^[a-f0-9]{64}$/;

const appEntrySchema = z.object({
  version: z.string(),
  image: z.string(),
  versions: z.array(z.unknown()).optional(),
  release: z.unknown().optional(),
  // A malformed pin drops the app (fail closed): never read as "no pin", which would widen trust.
  imageKeys: z
    .array(z.string().regex(IMAGE_KEY_ID_PATTERN, 'expected an image key id: 64 lowercase hex digits'))
    .min(1, 'list at least one key, or leave imageKeys out')
    .optional(),
});

/**
 * Whether two images live in the same repository (same registry, same path; tag and digest may
 * differ; Docker Hub's spellings are one registry). A catalog may offer other versions of an
 * app's image, never another image.
 */
export const sameRepository = sameImageRepository;

const tagOf = (image: string): string | undefined => splitImageReference(image).tag;

const issueText = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || 'entry'}: ${issue.message}`).join('; ');

/**
 * Reads the `apps` of verified catalog metadata. `log` hears each dropped entry (the daemon passes
 * its logger's warn), so a publisher's mistake is visible without breaking nodes.
 */
export function parseCatalogApps(
  apps: Record<string, unknown>,
  log?: (dropped: DroppedEntry) => void,
): ParsedCatalog {
  const dropped: DroppedEntry[] = [];
  const drop = (entry: DroppedEntry): void => {
    dropped.push(entry);
    log?.(entry);
  };
  const catalog: Catalog = { apps: {} };
  for (const [id, raw] of Object.entries(apps)) {
    if (!APP_ID_PATTERN.test(id)) {
      drop({ app: id, reason: `'${id}' is not an app id` });
      continue;
    }
    const app = parseApp(id, raw, drop);
    if (app) catalog.apps[id] = app;
  }
  return { catalog, dropped };
}

function parseApp(id: string, raw: unknown, drop: (entry: DroppedEntry) => void): CatalogApp | undefined {
  const parsed = appEntrySchema.safeParse(raw);
  if (!parsed.success) {
    drop({ app: id, reason: `not a catalog entry (${issueText(parsed.error)})` });
    return undefined;
  }
  const entry = parsed.data;
  const releaseDefaults = parseAppRelease(entry.release);
  if (!releaseDefaults.ok) {
    drop({ app: id, reason: `release: ${releaseDefaults.reason}` });
    return undefined;
  }
  const candidates: unknown[] = [...(entry.versions ?? [])];
  // Catalogs from before versions[] carry only version + image: that is the one version offered.
  const listed = (entry.versions ?? []).some(
    (item) => (item as { version?: unknown } | null)?.version === entry.version,
  );
  if (!listed) candidates.push({ version: entry.version, image: entry.image });

  const versions: CatalogVersion[] = [];
  for (const candidate of candidates) {
    const version = parseVersion(id, entry.image, releaseDefaults.value, candidate, drop);
    if (!version) continue;
    if (versions.some((known) => known.version === version.version)) {
      drop({ app: id, version: version.version, reason: 'listed twice; the first entry is kept' });
      continue;
    }
    versions.push(version);
  }
  if (versions.length === 0) {
    drop({ app: id, reason: 'no usable version is left, so the app is not offered' });
    return undefined;
  }
  versions.sort((a, b) => compareAppVersions(b.version, a.version));

  const chosen =
    versions.find((v) => v.version === entry.version) ?? versions.find((v) => v.default) ?? versions[0]!;
  if (chosen.version !== entry.version) {
    drop({
      app: id,
      version: entry.version,
      reason: `the default version '${entry.version}' is not usable; '${chosen.version}' is the default instead`,
    });
  }
  for (const version of versions) version.default = version === chosen;
  return {
    id,
    version: chosen.version,
    image: chosen.image,
    versions,
    ...(entry.imageKeys && { imageKeys: [...new Set(entry.imageKeys)].sort() }),
  };
}

function parseVersion(
  id: string,
  appImage: string,
  releaseDefaults: AppReleaseDefaults,
  raw: unknown,
  drop: (entry: DroppedEntry) => void,
): CatalogVersion | undefined {
  const parsed = versionEntrySchema.safeParse(raw);
  const label = (raw as { version?: unknown } | null)?.version;
  const version = typeof label === 'string' ? label : undefined;
  if (!parsed.success) {
    drop({
      app: id,
      ...(version !== undefined && { version }),
      reason: `not a version entry (${issueText(parsed.error)})`,
    });
    return undefined;
  }
  const entry = parsed.data;
  const tag = tagOf(entry.image);
  if (isFloatingTag(entry.version) || (tag !== undefined && isFloatingTag(tag))) {
    drop({
      app: id,
      version: entry.version,
      reason: `'${isFloatingTag(entry.version) ? entry.version : tag}' is a floating tag, not a version; only pinned versions are offered`,
    });
    return undefined;
  }
  const reference = parseImageReference(entry.image);
  if (!reference.ok) {
    drop({ app: id, version: entry.version, reason: reference.reason });
    return undefined;
  }
  if (!sameRepository(appImage, entry.image)) {
    drop({
      app: id,
      version: entry.version,
      reason: `image ${entry.image} is not in the app's repository (${appImage}); a version may not swap in another image`,
    });
    return undefined;
  }
  let release: OfficialRelease | undefined;
  if (entry.release !== undefined) {
    const parsedRelease = parseVersionRelease(entry.version, releaseDefaults, entry.release);
    if (!parsedRelease.ok) {
      drop({ app: id, version: entry.version, reason: parsedRelease.reason });
      return undefined;
    }
    release = parsedRelease.value;
  }
  return {
    version: entry.version,
    image: entry.image,
    ...(entry.digest !== undefined && { digest: entry.digest }),
    default: entry.default ?? false,
    deprecated: entry.deprecated ?? false,
    ...(entry.eol !== undefined && { eol: entry.eol }),
    ...(entry.notes !== undefined && { notes: entry.notes }),
    ...(release !== undefined && { release }),
  };
}
