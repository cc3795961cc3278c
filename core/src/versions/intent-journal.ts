// The intent journal: before each step of a multi-step operation (install, set-version,
// implementation switch) the daemon writes what it is about to do to
// DATA_DIR/state/intents/<app-id>.json, and removes the file when the operation is over. A daemon
// killed in the middle finds the file at boot and finishes or rolls back the operation from the
// step it names (see version-switch.ts for what each step means on recovery).
//
// One file per app, written atomically: an app has at most one operation in flight (its queue).

import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';

/** One side of a version change: what the record said (or will say) the app runs. */
export interface IntentVersion {
  id: string;
  version: string;
  image: string;
  runImage?: string;
  /** The digest the signed catalog pins for this version, if it pins one. */
  catalogDigest?: string;
}

export type IntentOp = 'install' | 'set-version' | 'switch-implementation';

export interface Intent {
  op: IntentOp;
  /** The app whose queue runs the operation (for a switch: the target app). */
  app: string;
  from?: IntentVersion;
  to: IntentVersion;
  /** The step about to run. */
  step: string;
  /** Extra arguments for the new version's first start (from the version plan). */
  startArgs?: string[];
  startedAt: string;
  updatedAt: string;
}

export class IntentJournal {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'state', 'intents');
  }

  private file(app: string): string {
    return join(this.dir, `${app}.json`);
  }

  /** Records that `intent.step` is about to run. */
  async write(intent: Omit<Intent, 'updatedAt' | 'startedAt'> & { startedAt?: string }): Promise<Intent> {
    const now = new Date().toISOString();
    const full: Intent = { ...intent, startedAt: intent.startedAt ?? now, updatedAt: now };
    await writeFileAtomic(this.file(intent.app), `${JSON.stringify(full, null, 2)}\n`);
    return full;
  }

  async clear(app: string): Promise<void> {
    await rm(this.file(app), { force: true });
  }

  async get(app: string): Promise<Intent | undefined> {
    try {
      return JSON.parse(await readFile(this.file(app), 'utf8')) as Intent;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async loadAll(): Promise<Intent[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const intents: Intent[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
      const intent = await this.get(name.slice(0, -'.json'.length));
      if (intent) intents.push(intent);
    }
    return intents;
  }
}
