// The pipeline's config file (the external contract's "Image pipeline"):
//
//   sources: [https://bitcoincore.org/bin/, https://mirror.example/bin/]  # tried in order
//   builderKeys: ./keys/core      # folder of armored public keys: the pinned builders
//   threshold: 3                  # good signatures needed from distinct pinned keys
//   registry: 127.0.0.1:5000/archipelago
//   arch: x86_64-linux-gnu
//   signingKey: ./keys/cosign.key          # cosign P-256 key the image is signed with (mode 0600)
//   catalog: ./catalog/catalog.json        # the signed catalog the version is added to
//   catalogKey: ./keys/catalog.key         # Ed25519 catalog key that signs it (mode 0600)
//
// The last three are what `archy pipeline build` needs to publish; verifying a release alone
// (verifyRelease) does not, so they are optional here and checked by the build before any download.
// The registry is spoken to over plain HTTP only when it is on loopback (a test or a local
// staging registry); anything else is HTTPS.
//
// Relative paths are resolved against the config file's folder, not the working directory, so
// the same file works wherever the build is started from.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { curatedSetSchema, type CuratedSetConfig } from './curated-set.js';
import { releaseRefused } from './pipeline-error.js';

/** verify-binaries' default: three independent builders must agree. */
export const DEFAULT_THRESHOLD = 3;
export const DEFAULT_ARCH = 'x86_64-linux-gnu';

const sourceUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^/\s]+/i.test(value), {
    message: 'a source must be an http:// or https:// URL, e.g. https://bitcoincore.org/bin/',
  })
  // Sources are folders; without the slash `new URL(relative, base)` would drop the last segment.
  .transform((value) => (value.endsWith('/') ? value : `${value}/`));

const configSchema = z.strictObject({
  sources: z.array(sourceUrl).min(1, 'list at least one source URL (the primary first, then mirrors)'),
  builderKeys: z.string().min(1, 'name the folder holding the pinned builders’ armored public keys'),
  threshold: z.number().int().min(1, 'threshold must be at least 1').default(DEFAULT_THRESHOLD),
  registry: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._-]+)*$/, 'registry must look like host[:port][/path]'),
  arch: z
    .string()
    .regex(/^[a-z0-9_]+-[a-z0-9_-]+$/, 'arch must be a target triplet such as x86_64-linux-gnu')
    .default(DEFAULT_ARCH),
  curatedSet: curatedSetSchema.optional(),
  signingKey: z
    .string()
    .min(1, 'name the cosign private key file (cosign.key) images are signed with')
    .optional(),
  catalog: z.string().min(1, 'name the signed catalog file (catalog.json) versions are added to').optional(),
  catalogKey: z.string().min(1, 'name the Ed25519 catalog key file that signs the catalog').optional(),
});

export interface PipelineConfig {
  /** Base URLs following upstream's layout, primary first; each ends with `/`. */
  sources: string[];
  /** Absolute path of the folder of pinned builder keys. */
  builderKeys: string;
  threshold: number;
  /** `host[:port]/path` the image is pushed under. */
  registry: string;
  arch: string;
  curatedSet?: CuratedSetConfig;
  /** Absolute path of the cosign private key images are signed with. */
  signingKey?: string;
  /** Absolute path of the signed catalog the published version is added to. */
  catalog?: string;
  /** Absolute path of the catalog's Ed25519 signing key. */
  catalogKey?: string;
  /** The file this came from, for messages. */
  file?: string;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map(
      (issue) => `${issue.path.length ? issue.path.map(String).join('.') : '(top level)'}: ${issue.message}`,
    )
    .join('; ');
}

/**
 * Validates a parsed config object. `baseDir` is where relative paths are resolved from — the
 * config file's folder.
 */
export function parsePipelineConfig(raw: unknown, baseDir: string, file?: string): PipelineConfig {
  const where = file ?? 'pipeline config';
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw releaseRefused('config', `${where} is invalid: ${describeIssues(parsed.error)}`);
  const { curatedSet, signingKey, catalog, catalogKey, ...rest } = parsed.data;
  return {
    ...rest,
    builderKeys: resolve(baseDir, rest.builderKeys),
    ...(curatedSet ? { curatedSet } : {}),
    ...(signingKey ? { signingKey: resolve(baseDir, signingKey) } : {}),
    ...(catalog ? { catalog: resolve(baseDir, catalog) } : {}),
    ...(catalogKey ? { catalogKey: resolve(baseDir, catalogKey) } : {}),
    ...(file ? { file } : {}),
  };
}

/** Reads and validates a YAML config file. */
export async function loadPipelineConfig(file: string): Promise<PipelineConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw releaseRefused('config', `cannot read pipeline config ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw releaseRefused('config', `${path} is not valid YAML: ${(cause as Error).message}`, { cause });
  }
  return parsePipelineConfig(raw, dirname(path), path);
}

/** The publishing fields `archy pipeline build` needs, present. */
export interface PublishingConfig extends PipelineConfig {
  signingKey: string;
  catalog: string;
  catalogKey: string;
}

/** Checks the config names everything publishing needs; says which fields are missing. */
export function requirePublishingConfig(config: PipelineConfig): PublishingConfig {
  const missing = (['signingKey', 'catalog', 'catalogKey'] as const).filter((field) => !config[field]);
  if (missing.length)
    throw releaseRefused(
      'config',
      `${config.file ?? 'pipeline config'} lacks ${missing.join(', ')}: a build signs the image with signingKey ` +
        '(cosign.key) and adds it to the catalog file signed with catalogKey; add them (paths relative to the config).',
    );
  return config as PublishingConfig;
}

/** Plain HTTP only for a registry on this machine's loopback; everything else is HTTPS. */
export function registryIsLoopback(registry: string): boolean {
  const host = registry.split('/')[0]!.replace(/:\d+$/, '');
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}
