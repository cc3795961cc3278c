import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntentJournal } from './intent-journal.js';

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

  it('stamps the format version and still reads a file written before it was stamped', async () => {
    await journal.write({ op: 'set-version', app: 'bitcoin-core', from, to, step: 'start-new' });
    const stored = JSON.parse(await readFile(join(journal.dir, 'bitcoin-core.json'), 'utf8')) as object;
    expect(stored).toMatchObject({ op: 'set-version', step: 'start-new', schemaVersion: 1 });

    // What a daemon before the typed store wrote: the same keys, no schemaVersion.
    const old = {
      op: 'switch-implementation',
      app: 'bitcoin-knots',
      from,
      to: { ...to, id: 'bitcoin-knots' },
    };
    await writeFile(
      join(journal.dir, 'bitcoin-knots.json'),
      JSON.stringify({ ...old, step: 'move-data', startedAt: 'x', updatedAt: 'y' }),
    );
    expect(await journal.get('bitcoin-knots')).toEqual({
      ...old,
      step: 'move-data',
      startedAt: 'x',
      updatedAt: 'y',
    });
    expect((await journal.loadAll()).map((intent) => intent.app)).toEqual(['bitcoin-core', 'bitcoin-knots']);
  });

  it('refuses a step its operation does not have, naming the file', async () => {
    await mkdir(journal.dir, { recursive: true });
    await writeFile(
      join(journal.dir, 'bitcoin-core.json'),
      JSON.stringify({
        op: 'set-version',
        app: 'bitcoin-core',
        from,
        to,
        step: 'move-data',
        startedAt: 'x',
        updatedAt: 'y',
      }),
    );
    await expect(journal.get('bitcoin-core')).rejects.toThrow(/bitcoin-core\.json is not a valid intent/);
  });
});
