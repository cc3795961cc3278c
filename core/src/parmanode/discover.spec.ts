import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverParmanode } from './discover.js';
import { formatDiscovery } from './format.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'parmanode-discover-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('discoverParmanode', () => {
  it('says a home without Parmanode has nothing to adopt', async () => {
    const report = await discoverParmanode(home);
    expect(report.parmanode).toBe(false);
    expect(report.plan).toEqual([]);
    expect(formatDiscovery(report)).toMatch(/Nothing to adopt/);
  });

  it('refuses a home that is not there, or not a folder, saying to give --home', async () => {
    await expect(discoverParmanode(join(home, 'missing'))).rejects.toThrow(/does not exist; .*--home/);
    await writeFile(join(home, 'file'), '');
    await expect(discoverParmanode(join(home, 'file'))).rejects.toThrow(/is not a folder; .*--home/);
  });
});
