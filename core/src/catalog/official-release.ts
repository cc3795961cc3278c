// How a catalog says where a version's official release comes from and how a node checks it,
// so a node can build the image itself from the release instead of trusting a registry:
//
//   "bitcoin-core": {
//     "release": {                                  app-wide defaults
//       "implementation": "core",
//       "sources": ["https://bitcoincore.org/bin/", "https://bitcoin.org/bin/"],   tried in order
//       "keySources": ["https://…/builder-keys/{name}.gpg", "https://…/by-fingerprint/{fingerprint}"],
//       "builders": [{ "name": "achow101", "fingerprint": "1528…5E41" }, …],        the pinned keys
//       "threshold": 3
//     },
//     "versions": [{ "version": "31.1", "image": "localhost/archipelago/bitcoin-core:31.1",
//       "release": { "files": { "x86_64-linux-gnu": { "name": "bitcoin-31.1-x86_64-linux-gnu.tar.gz",
//                                                      "sha256": "b80d…" }, … } } }]
//   }
//
// A version's own `release` may override any app-wide field. What the node gets is the merged,
// checked result: for each CPU the exact file and its SHA-256, the sources, the builder
// fingerprints (key material is fetched at run time and accepted only when its fingerprint is
// listed here) and how many of them must have signed SHA256SUMS.

import { z } from 'zod';

export type ReleaseImplementation = 'core' | 'knots';

export interface PinnedBuilder {
  /** The builder's name as upstream's builder-keys/ folder spells it (fills `{name}` in keySources). */
  name: string;
  /** Primary key fingerprint: 40 uppercase hex digits. */
  fingerprint: string;
}

export interface ReleaseFile {
  /** The official file name, e.g. bitcoin-31.1-x86_64-linux-gnu.tar.gz. */
  name: string;
  /** Lowercase hex SHA-256, as the release's SHA256SUMS lists it. */
  sha256: string;
}

export interface OfficialRelease {
  implementation: ReleaseImplementation;
  /** Per CPU target triplet (x86_64-linux-gnu, aarch64-linux-gnu). */
  files: Record<string, ReleaseFile>;
  /** Base URLs following upstream's layout, primary first; each ends with `/`. */
  sources: string[];
  /** URL templates a builder's public key is fetched from, tried in order. */
  keySources: string[];
  builders: PinnedBuilder[];
  threshold: number;
}

const httpUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^/\s]+/i.test(value), 'expected an http:// or https:// URL');

const fingerprint = z
  .string()
  .transform((value) => value.replace(/\s+/g, '').toUpperCase())
  .refine((value) => /^[0-9A-F]{40}$/.test(value), 'expected a 40-hex-digit OpenPGP fingerprint');

const releaseFields = {
  implementation: z.enum(['core', 'knots']),
  sources: z.array(httpUrl.transform((url) => (url.endsWith('/') ? url : `${url}/`))).min(1),
  keySources: z
    .array(
      httpUrl.refine(
        (url) => url.includes('{fingerprint}') || url.includes('{name}'),
        'a key source must contain {fingerprint} or {name}',
      ),
    )
    .min(1),
  builders: z.array(z.object({ name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), fingerprint })).min(1),
  threshold: z.number().int().min(1),
};

/** The app-wide block: every field optional, a version fills in or overrides. */
const appReleaseSchema = z.object(releaseFields).partial();

const versionReleaseSchema = appReleaseSchema.extend({
  files: z.record(
    z.string().regex(/^[a-z0-9_]+-[a-z0-9_-]+$/, 'expected a target triplet such as x86_64-linux-gnu'),
    z.object({
      name: z.string(),
      sha256: z.string().regex(/^[a-f0-9]{64}$/, 'expected 64 lowercase hex digits'),
    }),
  ),
});

export type AppReleaseDefaults = z.infer<typeof appReleaseSchema>;

/** The app-wide release block, or the reason it can't be used. */
export function parseAppRelease(
  raw: unknown,
): { ok: true; value: AppReleaseDefaults } | { ok: false; reason: string } {
  if (raw === undefined) return { ok: true, value: {} };
  const parsed = appReleaseSchema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: issuesOf(parsed.error) };
}

/**
 * A version's release, merged over the app's defaults and checked whole: the official file names
 * must be upstream's (`bitcoin-<version>-<arch>.tar.gz`, so a catalog can't point a node at another
 * file), and the threshold must be reachable with the pinned builders.
 */
export function parseVersionRelease(
  version: string,
  defaults: AppReleaseDefaults,
  raw: unknown,
): { ok: true; value: OfficialRelease } | { ok: false; reason: string } {
  const parsed = versionReleaseSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `release: ${issuesOf(parsed.error)}` };
  const { files, ...overrides } = parsed.data;
  const merged = { ...defaults, ...stripUndefined(overrides) };
  const missing = (['implementation', 'sources', 'keySources', 'builders', 'threshold'] as const).filter(
    (field) => merged[field] === undefined,
  );
  if (missing.length > 0)
    return {
      ok: false,
      reason: `release: ${missing.join(', ')} missing (neither the version nor the app sets it)`,
    };
  if (Object.keys(files).length === 0) return { ok: false, reason: 'release: files lists no CPU' };
  for (const [arch, file] of Object.entries(files)) {
    const expected = `bitcoin-${version}-${arch}.tar.gz`;
    if (file.name !== expected)
      return {
        ok: false,
        reason: `release: files.${arch}.name is '${file.name}', upstream names it '${expected}'`,
      };
  }
  const distinct = new Set(merged.builders!.map((builder) => builder.fingerprint));
  if (distinct.size !== merged.builders!.length)
    return { ok: false, reason: 'release: a builder fingerprint is listed twice' };
  if (merged.threshold! > distinct.size)
    return {
      ok: false,
      reason: `release: threshold ${merged.threshold} is more than the ${distinct.size} pinned builders; no release could pass`,
    };
  return {
    ok: true,
    value: {
      implementation: merged.implementation!,
      files,
      sources: merged.sources!,
      keySources: merged.keySources!,
      builders: merged.builders!,
      threshold: merged.threshold!,
    },
  };
}

/** The key URL for one builder from a key source template. */
export function keySourceUrl(template: string, builder: PinnedBuilder): string {
  return template
    .replaceAll('{fingerprint}', builder.fingerprint)
    .replaceAll('{name}', encodeURIComponent(builder.name));
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const issuesOf = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || '(block)'}: ${issue.message}`).join('; ');
