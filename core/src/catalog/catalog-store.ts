// The node's catalog: the last good verified one, kept across restarts, refreshed from a URL.
//
// On disk, under DATA_DIR/catalog/:
// - roots/<N>.root.json: every root this node verified beyond the bundled one (root-store.ts).
//   They are never the trust anchor by themselves: each load starts from the bundled root and
//   follows them only as far as each is signed by its predecessor (TUF's root update, §5.3).
// - last-good.json: the last good catalog, when and where it was fetched, and the roots its
//   refresh verified (written first, atomically, so a crash before the roots/ files are written
//   loses nothing: the next load chains them from here).
// Nothing else is kept: the catalog version high-water mark (rollback protection) is the version
// of the catalog that verifies at load, never a number read from a file — a forged file with a
// huge version does not verify, so it cannot lock genuine catalogs out.
// Without a stored catalog (first boot, offline), the catalog bundled with the software (repo
// `catalog/`) is used. A refresh that fails for any reason — network, signatures, expiry,
// rollback — keeps the last good catalog and says why.
//
// Remote layout (TUF's): `<url>/catalog.json`, and `<url>/<N>.root.json` for each root version;
// a refresh asks for the next root versions until one is missing, then for the catalog.

import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/atomic-file.js';
import { ArchyError } from '../kernel/index.js';
import { catalogRefusalReason, catalogRefused, type CatalogRefusalReason } from './catalog-error.js';
import type { Catalog, DroppedEntry } from './catalog-schema.js';
import { fetchMetadata } from './fetch-metadata.js';
import { StoredRootChain } from './root-store.js';
import { parseRoot, type CatalogSigned, type Envelope, type RootSigned } from './signed-metadata.js';
import { readStoredJson } from './stored-file.js';
import { verifyCatalog, verifyCatalogMetadata, type VerifiedCatalog } from './trust.js';
import { DataLayout } from '../layout/index.js';

/** The repo's `catalog/` folder: same depth from src/catalog and dist/catalog. */
export const BUNDLED_CATALOG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../catalog');
export const ROOT_FILE = 'root.json';
export const CATALOG_FILE = 'catalog.json';
export const LAST_GOOD_FILE = 'last-good.json';
/** More root rotations than this in one refresh is not a publisher, it's a loop. */
const MAX_ROOT_STEPS = 32;
const MAX_METADATA_BYTES = 4 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 30_000;

export interface CatalogSnapshot {
  catalog: Catalog;
  dropped: DroppedEntry[];
  source: 'bundled' | 'stored';
  metadataVersion: number;
  rootVersion: number;
  expires: string;
  digest: string;
  /** When it was fetched; absent for the bundled catalog. */
  fetchedAt?: string;
  url?: string;
}

export interface RefreshAttempt {
  at: string;
  url: string;
  ok: boolean;
  /** Why it failed; the last good catalog stayed in use. */
  error?: string;
  reason?: CatalogRefusalReason;
}

export interface CatalogStatus {
  source: 'bundled' | 'stored';
  metadataVersion: number;
  rootVersion: number;
  expires: string;
  /** Past its expiry: still shown, but the publisher's promise of freshness is over. */
  expired: boolean;
  fetchedAt?: string;
  /** Seconds since fetchedAt. */
  ageSeconds?: number;
  lastRefresh?: RefreshAttempt;
}

export type RefreshResult =
  | { ok: true; changed: boolean; snapshot: CatalogSnapshot }
  | { ok: false; error: string; reason: CatalogRefusalReason; snapshot: CatalogSnapshot };

export interface CatalogStoreOptions {
  /** DATA_DIR; the store keeps its file in DATA_DIR/catalog/. */
  dataDir: string;
  bundledDir?: string;
  now?: () => Date;
  /** Hears dropped entries and refresh failures (the daemon passes its logger's warn). */
  warn?: (message: string) => void;
  fetchTimeoutMs?: number;
}

interface LastGood {
  catalog: Envelope<CatalogSigned>;
  /** The roots the refresh that fetched this catalog verified (chained again at load). */
  roots: Envelope<RootSigned>[];
  fetchedAt: string;
  url: string;
}

/** last-good.json as read: unverified; `roots` may hold a single `root` (files before the chain). */
interface StoredLastGood {
  catalog: unknown;
  roots: unknown[];
  fetchedAt: string;
  url: string;
}

export class CatalogStore {
  readonly #dir: string;
  readonly #bundledDir: string;
  readonly #now: () => Date;
  readonly #warn: (message: string) => void;
  readonly #fetchTimeoutMs: number;
  readonly #roots: StoredRootChain;
  #root: Envelope<RootSigned> | undefined;
  #snapshot: CatalogSnapshot | undefined;
  #lastRefresh: RefreshAttempt | undefined;

  constructor(options: CatalogStoreOptions) {
    this.#dir = new DataLayout(options.dataDir).catalogDir;
    this.#bundledDir = options.bundledDir ?? BUNDLED_CATALOG_DIR;
    this.#now = options.now ?? (() => new Date());
    this.#warn = options.warn ?? (() => {});
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? FETCH_TIMEOUT_MS;
    this.#roots = new StoredRootChain({ dir: this.#dir, now: this.#now, warn: this.#warn });
  }

  /**
   * Picks the trusted root — the bundled one, carried forward through the stored roots as far as
   * each chains to the one before — and the newest catalog that verifies against it.
   */
  async load(): Promise<CatalogSnapshot> {
    const bundledRoot = parseRoot(await readJson(join(this.#bundledDir, ROOT_FILE)), 'the bundled root');
    const stored = await this.#readLastGood();
    const root = await this.#roots.load(bundledRoot, stored?.roots);

    const candidates: CatalogSnapshot[] = [];
    if (stored) {
      const verified = this.#reverify(root, stored.catalog, 'the stored catalog');
      if (verified) candidates.push(snapshotOf(verified, 'stored', stored));
    }
    const bundledCatalog = await readJson(join(this.#bundledDir, CATALOG_FILE)).catch(() => undefined);
    if (bundledCatalog !== undefined) {
      const verified = this.#reverify(root, bundledCatalog, 'the bundled catalog');
      if (verified) candidates.push(snapshotOf(verified, 'bundled'));
    }
    const best = candidates.reduce<CatalogSnapshot | undefined>(
      (chosen, next) => (!chosen || next.metadataVersion > chosen.metadataVersion ? next : chosen),
      undefined,
    );
    if (!best) {
      throw catalogRefused(
        'unavailable',
        `no catalog verifies against root version ${root.signed.version}; reinstall the software or refresh from the catalog URL`,
      );
    }
    this.#root = root;
    this.#snapshot = best;
    return best;
  }

  current(): CatalogSnapshot {
    if (!this.#snapshot) throw new Error('CatalogStore.load() must run first');
    return this.#snapshot;
  }

  status(): CatalogStatus {
    const snapshot = this.current();
    const now = this.#now();
    return {
      source: snapshot.source,
      metadataVersion: snapshot.metadataVersion,
      rootVersion: snapshot.rootVersion,
      expires: snapshot.expires,
      expired: Date.parse(snapshot.expires) <= now.getTime(),
      ...(snapshot.fetchedAt !== undefined && {
        fetchedAt: snapshot.fetchedAt,
        ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(snapshot.fetchedAt)) / 1000)),
      }),
      ...(this.#lastRefresh && { lastRefresh: this.#lastRefresh }),
    };
  }

  /** Fetches, verifies and stores the catalog at `url`; on any failure keeps the last good one. */
  async refresh(url: string): Promise<RefreshResult> {
    const current = this.current();
    const root = this.#root!;
    const now = this.#now();
    const base = url.endsWith('/') ? url : `${url}/`;
    try {
      const rootChain: unknown[] = [];
      for (let version = root.signed.version + 1; rootChain.length < MAX_ROOT_STEPS; version++) {
        const next = await this.#fetchJson(`${base}${version}.root.json`, { missingOk: true });
        if (next === undefined) break;
        rootChain.push(next);
      }
      const metadata = await this.#fetchJson(`${base}${CATALOG_FILE}`, { missingOk: false });
      const verified = verifyCatalog({
        trustedRoot: root,
        rootChain,
        catalogMetadata: metadata,
        now,
        lastSeenVersion: current.metadataVersion,
        log: (entry) => this.#warn(describeDropped(entry)),
      });
      if (
        !verified.catalogKeysRotated &&
        verified.metadataVersion === current.metadataVersion &&
        verified.digest !== current.digest
      ) {
        throw catalogRefused(
          'rollback',
          `catalog version ${verified.metadataVersion} at ${url} differs from the version ${current.metadataVersion} ` +
            'this node already has; a publisher bumps the version with every change, so this one is refused',
        );
      }
      const fetchedAt = now.toISOString();
      const lastGood: LastGood = { catalog: verified.metadata, roots: verified.newRoots, fetchedAt, url };
      // The catalog with its roots first (one atomic write), then the roots' own files.
      await writeFileAtomic(join(this.#dir, LAST_GOOD_FILE), `${JSON.stringify(lastGood)}\n`, 0o644);
      await this.#roots.persist(verified.newRoots);
      const changed = verified.digest !== current.digest || verified.rootRotated;
      this.#root = verified.root;
      this.#snapshot = snapshotOf(verified, 'stored', lastGood);
      this.#lastRefresh = { at: fetchedAt, url, ok: true };
      return { ok: true, changed, snapshot: this.#snapshot };
    } catch (err) {
      const reason = catalogRefusalReason(err) ?? 'unavailable';
      const error =
        err instanceof ArchyError
          ? err.message
          : `cannot fetch the catalog from ${url}: ${(err as Error).message}`;
      this.#lastRefresh = { at: now.toISOString(), url, ok: false, error, reason };
      this.#warn(`catalog refresh failed; keeping catalog version ${current.metadataVersion}: ${error}`);
      return { ok: false, error, reason, snapshot: current };
    }
  }

  async #readLastGood(): Promise<StoredLastGood | undefined> {
    let json: unknown;
    try {
      json = await readStoredJson(join(this.#dir, LAST_GOOD_FILE), MAX_METADATA_BYTES + 64 * 1024);
    } catch (err) {
      this.#warn(`ignoring the stored catalog: ${(err as Error).message}`);
      return undefined;
    }
    if (json === undefined) return undefined;
    const record = json as Partial<{
      catalog: unknown;
      roots: unknown;
      root: unknown;
      fetchedAt: unknown;
      url: unknown;
    }>;
    if (typeof record.fetchedAt !== 'string' || typeof record.url !== 'string') {
      this.#warn('ignoring the stored catalog: missing fetchedAt/url');
      return undefined;
    }
    const roots = Array.isArray(record.roots) ? record.roots : record.root !== undefined ? [record.root] : [];
    return { catalog: record.catalog, roots, fetchedAt: record.fetchedAt, url: record.url };
  }

  /**
   * Re-checks a catalog this node holds. Signatures and thresholds are checked again (the file may
   * have been altered on disk); expiry is not, since an expired last-good catalog is still the
   * best this node has — status() reports it as expired instead.
   */
  #reverify(root: Envelope<RootSigned>, metadata: unknown, what: string): VerifiedCatalog | undefined {
    try {
      return verifyCatalogMetadata(
        {
          trustedRoot: root,
          catalogMetadata: metadata,
          now: this.#now(),
          log: (entry) => this.#warn(describeDropped(entry)),
        },
        { checkExpiry: false },
      );
    } catch (err) {
      this.#warn(`ignoring ${what}: ${(err as Error).message}`);
      return undefined;
    }
  }

  #fetchJson(url: string, options: { missingOk: boolean }): Promise<unknown> {
    return fetchMetadata(url, { timeoutMs: this.#fetchTimeoutMs, maxBytes: MAX_METADATA_BYTES, ...options });
  }
}

function snapshotOf(
  verified: VerifiedCatalog,
  source: 'bundled' | 'stored',
  fetched?: { fetchedAt: string; url: string },
): CatalogSnapshot {
  return {
    catalog: verified.catalog,
    dropped: verified.dropped,
    source,
    metadataVersion: verified.metadataVersion,
    rootVersion: verified.root.signed.version,
    expires: verified.expires,
    digest: verified.digest,
    ...(fetched && { fetchedAt: fetched.fetchedAt, url: fetched.url }),
  };
}

const describeDropped = (entry: DroppedEntry): string =>
  `catalog: dropped ${entry.app}${entry.version !== undefined ? ` ${entry.version}` : ''}: ${entry.reason}`;

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}
