// The intent journal: before each step of a multi-step operation (install, set-version,
// implementation switch) the daemon writes what it is about to do to
// DATA_DIR/state/intents/<app-id>.json, and removes the file when the operation is over. A daemon
// killed in the middle finds the file at boot and finishes or rolls back the operation from the
// step it names (recovery-table.ts says what each step means on recovery).
//
// One file per app, written atomically through the typed JSON store: an app has at most one
// operation in flight (its queue). A file that names a step its operation does not have is
// refused with its path, never guessed at.

import { z } from 'zod';
import { JsonDirectory, type JsonFormat } from '../util/json-store.js';
import { STEPS } from './step-names.js';

const intentVersionSchema = z.object({
  id: z.string(),
  version: z.string(),
  image: z.string(),
  runImage: z.string().optional(),
  /** The digest the signed catalog pins for this version, if it pins one. */
  catalogDigest: z.string().optional(),
});

/** One side of a version change: what the record said (or will say) the app runs. */
export type IntentVersion = z.infer<typeof intentVersionSchema>;

const common = {
  /** The app whose queue runs the operation (for a switch: the target app). */
  app: z.string(),
  to: intentVersionSchema,
  /** Extra arguments for the new version's first start (from the version plan). */
  startArgs: z.array(z.string()).optional(),
  startedAt: z.string(),
  updatedAt: z.string(),
};

const intentSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('install'), step: z.enum(STEPS.install), ...common }),
  z.object({
    op: z.literal('set-version'),
    step: z.enum(STEPS['set-version']),
    from: intentVersionSchema,
    ...common,
  }),
  z.object({
    op: z.literal('switch-implementation'),
    step: z.enum(STEPS['switch-implementation']),
    from: intentVersionSchema,
    ...common,
  }),
]);

export type Intent = z.infer<typeof intentSchema>;
export type SetVersionIntent = Extract<Intent, { op: 'set-version' }>;
export type SwitchIntent = Extract<Intent, { op: 'switch-implementation' }>;

/** What a caller writes: the journal stamps the times (keeping `startedAt` when given). */
export type IntentInput = Intent extends infer I
  ? I extends Intent
    ? Omit<I, 'updatedAt' | 'startedAt'> & { startedAt?: string }
    : never
  : never;

const INTENT_FORMAT: JsonFormat<Intent> = { what: 'intent', schema: intentSchema, version: 1 };

export class IntentJournal {
  readonly dir: string;
  private readonly files: JsonDirectory<Intent>;

  /** `dir`: DataLayout's intentsDir (DATA_DIR/state/intents). */
  constructor(dir: string) {
    this.dir = dir;
    this.files = new JsonDirectory(this.dir, INTENT_FORMAT);
  }

  /** Records that `intent.step` is about to run. */
  async write(intent: IntentInput): Promise<Intent> {
    const now = new Date().toISOString();
    const full = { ...intent, startedAt: intent.startedAt ?? now, updatedAt: now } as Intent;
    await this.files.write(intent.app, full);
    return full;
  }

  clear(app: string): Promise<void> {
    return this.files.remove(app);
  }

  get(app: string): Promise<Intent | undefined> {
    return this.files.read(app);
  }

  async loadAll(): Promise<Intent[]> {
    return (await this.files.readAll()).map((entry) => entry.value);
  }
}
