// Root rotation, TUF's client root-update step (specification §5.3) for our two roles: starting
// from a root this node already trusts, each newer root must be exactly the next version and be
// signed by a threshold of the previous root's root keys *and* of its own. Nothing else may
// replace the trust anchor — not a newer version number, not a file found on disk.

import { catalogRefused } from './catalog-error.js';
import { parseRoot, validSigners, type Envelope, type RoleName, type RootSigned } from './signed-metadata.js';
import type { ArchyError } from '../kernel/index.js';

/** One step (§5.3.4–5.3.6): `candidate` becomes the trusted root only if it chains to `current`. */
export function rotateTo(
  current: Envelope<RootSigned>,
  candidate: unknown,
  what: string,
): Envelope<RootSigned> {
  const next = parseRoot(candidate, what);
  const expected = current.signed.version + 1;
  if (next.signed.version !== expected) {
    throw catalogRefused(
      'root-rotation',
      `${what} has version ${next.signed.version}, but the next root must be version ${expected}; ` +
        'roots are accepted one version at a time',
    );
  }
  requireThreshold(
    next,
    current.signed,
    'root',
    `root version ${expected} (by the keys of root version ${current.signed.version})`,
    'root-rotation',
  );
  requireThreshold(next, next.signed, 'root', `root version ${expected} (by its own keys)`, 'root-rotation');
  return next;
}

export interface RootChainStep {
  json: unknown;
  /** How to name it in a refusal ("stored root 3 (roots/3.root.json)"). */
  what: string;
}

export interface RootChain {
  /** The newest root reached; the starting root when nothing chained. */
  tip: Envelope<RootSigned>;
  /** The roots that chained, oldest first. */
  chained: Envelope<RootSigned>[];
  /** The first step that did not chain and why; the steps after it were not tried. */
  refused?: { index: number; error: ArchyError };
}

/**
 * Follows `steps` from `trusted` as far as they chain (§5.3.7: each accepted root becomes the
 * trusted one before the next is checked). Expiry is deliberately not checked here: an
 * intermediate root may have expired long ago (§5.3.5 note); only the final root's expiry matters,
 * and the caller checks it when it needs fresh metadata.
 */
export function followRootChain(trusted: Envelope<RootSigned>, steps: readonly RootChainStep[]): RootChain {
  let tip = trusted;
  const chained: Envelope<RootSigned>[] = [];
  for (const [index, step] of steps.entries()) {
    try {
      tip = rotateTo(tip, step.json, step.what);
    } catch (error) {
      return { tip, chained, refused: { index, error: error as ArchyError } };
    }
    chained.push(tip);
  }
  return { tip, chained };
}

/**
 * Whether the catalog role's keys differ between two roots. TUF (§5.3.11) forgets the version
 * high-water marks of the roles whose keys were rotated: a compromised catalog key may have
 * signed a huge version, and the publisher's recovery is to replace that key — after which the
 * genuine, lower-numbered catalogs must be accepted again.
 */
export function catalogKeysChanged(before: RootSigned, after: RootSigned): boolean {
  const a = new Set(before.roles.catalog.keyids);
  const b = after.roles.catalog.keyids;
  return a.size !== new Set(b).size || b.some((id) => !a.has(id));
}

export function requireThreshold(
  envelope: Envelope<unknown>,
  root: RootSigned,
  roleName: RoleName,
  what: string,
  reason: 'signatures' | 'root-rotation' = 'signatures',
): void {
  const role = root.roles[roleName];
  const signers = validSigners(envelope, role, root.keys);
  if (signers.size >= role.threshold) return;
  throw catalogRefused(
    reason,
    `${what} has ${signers.size} valid signature${signers.size === 1 ? '' : 's'} from distinct ${roleName} keys ` +
      `of root version ${root.version}, and needs ${role.threshold}; it was tampered with or signed by the wrong ` +
      'keys. The last good catalog stays in use.',
  );
}
