import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeCookie } from '../api/auth.js';
import { readDaemonCredentials } from './credentials.js';

describe('readDaemonCredentials', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'archy-credentials-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads the token the daemon wrote', async () => {
    const token = await writeCookie(dataDir);
    expect(await readDaemonCredentials(dataDir)).toEqual({ token, cookieFile: join(dataDir, '.cookie') });
  });

  it('names the missing file and says to pass the daemon’s --data-dir', async () => {
    await expect(readDaemonCredentials(dataDir)).rejects.toThrow(
      `cannot read the API token from ${join(dataDir, '.cookie')}: it does not exist (is the daemon running with this data dir?); pass the daemon's --data-dir (or set ARCHY_DATA_DIR), or run as the daemon's user`,
    );
  });

  it('refuses an empty cookie', async () => {
    await writeFile(join(dataDir, '.cookie'), '\n');
    await expect(readDaemonCredentials(dataDir)).rejects.toThrow(/is empty; restart the daemon/);
  });
});
