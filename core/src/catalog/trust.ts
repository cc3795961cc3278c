// Deciding whether catalog metadata may be trusted: a TUF-shaped design with two roles.
//
// - root.json lists the keys and, per role (root, catalog), which keys count and how many valid
//   signatures from distinct keys are needed (threshold). It has a version and an expiry.
// - catalog.json (TUF's targets, with the app list inline) is signed by the catalog role's keys,
//   carries a version that only goes up and an expiry.
// The four properties and where they hold:
// - thresholds: validSigners counts distinct keys of the role; duplicates and outsiders count 0.
// - freeze: an expired catalog or (final) root is refused, so a stale copy replayed by a mirror or
//   a man in the middle stops working when its expiry passes.
// - rollback: a catalog version below the last one seen is refused; roots step one version at a time.
//   When a rotation replaced the catalog keys, the last seen version is forgotten (TUF §5.3.11):
//   a compromised catalog key may have signed a huge version, and replacing the key must recover.
// - key rotation/compromise: root N+1 must be signed by a threshold of root N's root keys *and* of
//   its own, and may replace any key (catalog keys included); the old keys then count for nothing
//   (root-chain.ts; the store follows the same chain from the bundled root at every load).
// TUF's timestamp and snapshot roles are folded into the catalog: there is a single metadata file
// (no set of targets files to mix and match, which is what snapshot prevents), and its own expiry
// bounds a freeze. The cost is that the freeze window is the catalog's validity (we sign for days,
// not TUF's one-day timestamp), which the publisher chooses when signing.

import { canonicalDigest } from './canonical-json.js';
import { catalogRefused } from './catalog-error.js';
import { parseCatalogApps, type Catalog, type DroppedEntry } from './catalog-schema.js';
import { catalogKeysChanged, requireThreshold, rotateTo } from './root-chain.js';
import {
  parseCatalogEnvelope,
  parseRoot,
  type CatalogSigned,
  type Envelope,
  type RootSigned,
} from './signed-metadata.js';

export interface VerifyCatalogInput {
  /** The root this node trusts (bundled, or the newest it verified before). */
  trustedRoot: unknown;
  /** Newer roots, oldest first, each one version above the one before. */
  rootChain?: readonly unknown[];
  catalogMetadata: unknown;
  now: Date;
  /** The highest catalog version this node accepted before; lower ones are rollbacks. */
  lastSeenVersion?: number;
  /** Hears catalog entries dropped as unusable (floating tags, other repositories...). */
  log?: (dropped: DroppedEntry) => void;
}

export interface VerifiedCatalog {
  /** The root the catalog was verified with: persist it as the new trusted root. */
  root: Envelope<RootSigned>;
  rootRotated: boolean;
  /** The roots above the trusted one that chained, oldest first: persist each (TUF §5.3.8). */
  newRoots: Envelope<RootSigned>[];
  /**
   * The rotation replaced the catalog keys: the last seen catalog version no longer binds
   * (fast-forward recovery), so a lower or equal version is accepted.
   */
  catalogKeysRotated: boolean;
  /** The catalog envelope exactly as verified, to store. */
  metadata: Envelope<CatalogSigned>;
  catalog: Catalog;
  dropped: DroppedEntry[];
  metadataVersion: number;
  expires: string;
  /** The canonical digest of the signed catalog: tells two catalogs of one version apart. */
  digest: string;
}

/** Verifies a catalog as described above; throws an ArchyError (data.reason) saying why not. */
export function verifyCatalog(input: VerifyCatalogInput): VerifiedCatalog {
  return verifyCatalogMetadata(input, { checkExpiry: true });
}

/**
 * The same checks with expiry optional, for one caller only: the store re-reading the catalog it
 * verified earlier, which it may keep showing (marked expired) while offline. Not exported from
 * the module; everything arriving from outside goes through verifyCatalog.
 */
export function verifyCatalogMetadata(
  input: VerifyCatalogInput,
  options: { checkExpiry: boolean },
): VerifiedCatalog {
  const trusted = parseRoot(input.trustedRoot, 'the trusted root');
  requireThreshold(trusted, trusted.signed, 'root', 'the trusted root');

  let root = trusted;
  const newRoots: Envelope<RootSigned>[] = [];
  for (const [index, candidate] of (input.rootChain ?? []).entries()) {
    root = rotateTo(root, candidate, `new root #${index + 1}`);
    newRoots.push(root);
  }
  const catalogKeysRotated = catalogKeysChanged(trusted.signed, root.signed);
  if (options.checkExpiry)
    requireUnexpired(root.signed.expires, input.now, `root version ${root.signed.version}`);

  const metadata = parseCatalogEnvelope(input.catalogMetadata);
  const signed = metadata.signed;
  requireThreshold(metadata, root.signed, 'catalog', `catalog version ${signed.version}`);
  if (options.checkExpiry) requireUnexpired(signed.expires, input.now, `catalog version ${signed.version}`);
  if (!catalogKeysRotated && input.lastSeenVersion !== undefined && signed.version < input.lastSeenVersion) {
    throw catalogRefused(
      'rollback',
      `catalog version ${signed.version} is older than version ${input.lastSeenVersion}, which this node already ` +
        'accepted; refusing a rollback (a mirror may be serving old metadata). The last good catalog stays in use.',
    );
  }

  const { catalog, dropped } = parseCatalogApps(signed.apps, input.log);
  return {
    root,
    rootRotated: root.signed.version !== trusted.signed.version,
    newRoots,
    catalogKeysRotated,
    metadata,
    catalog,
    dropped,
    metadataVersion: signed.version,
    expires: signed.expires,
    digest: canonicalDigest(signed),
  };
}

function requireUnexpired(expires: string, now: Date, what: string): void {
  if (Date.parse(expires) > now.getTime()) return;
  throw catalogRefused(
    'expired',
    `${what} expired at ${expires}; refusing stale metadata (a mirror may be replaying it). ` +
      'The publisher must sign a fresh one; the last good catalog stays in use.',
  );
}
