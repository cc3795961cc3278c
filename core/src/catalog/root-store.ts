// The node's root chain on disk: DATA_DIR/catalog/roots/<N>.root.json, one file per root version
// this node verified (TUF §5.3.8 persists each new root as it is accepted). The files are never
// trusted for what they are: at every load the chain is walked again from the bundled root — the
// trust anchor that ships with the code — and each stored root must chain to the one before it
// (rotateTo). A stored root that does not chain, and every stored root above it, is moved to
// DATA_DIR/catalog/quarantine/ with a note saying why (kept as evidence for the admin, never read
// again), and the node goes on with the chain as far as it held.

import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { followRootChain, type RootChainStep } from './root-chain.js';
import type { Envelope, RootSigned } from './signed-metadata.js';
import { readStoredJson } from './stored-file.js';

export const ROOTS_DIR = 'roots';
export const QUARANTINE_DIR = 'quarantine';
const ROOT_FILE_PATTERN = /^([1-9][0-9]{0,15})\.root\.json$/;
/** Roots list a handful of keys; anything near this is not a root. */
const MAX_ROOT_BYTES = 256 * 1024;

export const rootFileName = (version: number): string => `${version}.root.json`;

export interface StoredRootChainOptions {
  /** DATA_DIR/catalog. */
  dir: string;
  now: () => Date;
  warn: (message: string) => void;
}

export class StoredRootChain {
  readonly #dir: string;
  readonly #now: () => Date;
  readonly #warn: (message: string) => void;

  constructor(options: StoredRootChainOptions) {
    this.#dir = options.dir;
    this.#now = options.now;
    this.#warn = options.warn;
  }

  get rootsDir(): string {
    return join(this.#dir, ROOTS_DIR);
  }

  /**
   * The trusted root: the bundled one, carried forward through the stored roots as far as they
   * chain, then through `pending` (roots a refresh verified and recorded beside its catalog before
   * it wrote them here — a crash may have come in between); pending roots that chain are written.
   */
  async load(bundled: Envelope<RootSigned>, pending: readonly unknown[] = []): Promise<Envelope<RootSigned>> {
    const files = await this.#listRootFiles();
    const above = [...files.keys()]
      .filter((version) => version > bundled.signed.version)
      .sort((a, b) => a - b);
    const steps: (RootChainStep & { version: number })[] = [];
    let unreadable: { version: number; reason: string } | undefined;
    for (let version = bundled.signed.version + 1; files.has(version); version++) {
      const name = files.get(version)!;
      try {
        const json = await readStoredJson(join(this.rootsDir, name), MAX_ROOT_BYTES);
        steps.push({ json, what: `stored root ${version} (${ROOTS_DIR}/${name})`, version });
      } catch (err) {
        unreadable = { version, reason: (err as Error).message };
        break;
      }
    }
    const chain = followRootChain(bundled, steps);
    const refused = chain.refused
      ? { version: steps[chain.refused.index]!.version, reason: chain.refused.error.message }
      : unreadable;

    // Everything above the tip did not chain: the refused file, files after it, files past a gap.
    const tipVersion = chain.tip.signed.version;
    for (const version of above.filter((v) => v > tipVersion)) {
      const reason =
        version === refused?.version
          ? refused.reason
          : refused !== undefined && version > refused.version
            ? `stored root ${refused.version} below it does not chain`
            : `root version ${tipVersion + 1} is missing, so it cannot chain to root version ${tipVersion}`;
      await this.#quarantine(files.get(version)!, reason, bundled.signed.version);
    }

    let tip = chain.tip;
    const later = pending
      .filter((json) => versionOf(json) > tip.signed.version)
      .sort((a, b) => versionOf(a) - versionOf(b))
      .map((json) => ({ json, what: `root ${versionOf(json)} recorded with the stored catalog` }));
    if (later.length > 0) {
      const recorded = followRootChain(tip, later);
      if (recorded.refused)
        this.#warn(`ignoring a root recorded with the stored catalog: ${recorded.refused.error.message}`);
      if (recorded.chained.length > 0) await this.persist(recorded.chained);
      tip = recorded.tip;
    }
    return tip;
  }

  /** Writes verified roots, each as its own version file (atomically; an existing one is replaced). */
  async persist(roots: readonly Envelope<RootSigned>[]): Promise<void> {
    for (const root of roots) {
      await writeFileAtomic(
        join(this.rootsDir, rootFileName(root.signed.version)),
        `${JSON.stringify(root)}\n`,
        0o644,
      );
    }
  }

  async #listRootFiles(): Promise<Map<number, string>> {
    let names: string[];
    try {
      names = await readdir(this.rootsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw err;
    }
    const files = new Map<number, string>();
    for (const name of names) {
      const match = ROOT_FILE_PATTERN.exec(name);
      if (match) files.set(Number(match[1]), name);
    }
    return files;
  }

  async #quarantine(name: string, reason: string, bundledVersion: number): Promise<void> {
    const quarantine = join(this.#dir, QUARANTINE_DIR);
    const stamp = this.#now().toISOString().replace(/[:.]/g, '-');
    const target = join(quarantine, `${stamp}-${name}`);
    try {
      await mkdir(quarantine, { recursive: true, mode: 0o700 });
      await rename(join(this.rootsDir, name), target);
      await writeFile(`${target}.why`, `${reason}\n`, { mode: 0o600 });
    } catch (err) {
      this.#warn(`could not move ${ROOTS_DIR}/${name} to ${QUARANTINE_DIR}/: ${(err as Error).message}`);
    }
    this.#warn(
      `discarding stored root ${ROOTS_DIR}/${name}: it does not chain to the bundled root (version ` +
        `${bundledVersion}): ${reason.replace(/\.$/, '')}. Moved to ${target}; the node trusts the chain as far as it holds ` +
        'and fetches genuine newer roots at the next refresh.',
    );
  }
}

function versionOf(json: unknown): number {
  const version = (json as { signed?: { version?: unknown } } | null)?.signed?.version;
  return typeof version === 'number' && Number.isSafeInteger(version) ? version : 0;
}
