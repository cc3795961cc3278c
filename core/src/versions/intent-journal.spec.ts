import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntentJournal } from '../versions/intent-journal.js';

let dir: string;
let journal: IntentJournal;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-intents-'));
  journal = new IntentJournal(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('IntentJournal', () => {
  const to = { id: 'bitcoin-core', version: '31.0', image: 'r/bitcoin-core:31.0' };
  const from = { id: 'bitcoin-core', version: '28.4', image: 'r/bitcoin-core:28.4' };

  it('keeps the step about to run, one file per app, and forgets it when cleared', async () => {
    const first = await journal.write({ op: 'set-version', app: 'bitcoin-core', from, to, step: 'stop-old' });
    await journal.write({
      op: 'set-version',
      app: 'bitcoin-core',
      from,
      to,
      step: 'remove-old',
      startedAt: first.startedAt,
    });
    expect(await journal.get('bitcoin-core')).toMatchObject({
      step: 'remove-old',
      from,
      to,
      startedAt: first.startedAt,
    });
    expect(await journal.loadAll()).toHaveLength(1);
    await journal.clear('bitcoin-core');
    expect(await journal.get('bitcoin-core')).toBeUndefined();
    expect(await journal.loadAll()).toEqual([]);
  });

  it('reads an empty journal when the folder was never made', async () => {
    expect(await new IntentJournal(join(dir, 'nope')).loadAll()).toEqual([]);
  });
});
