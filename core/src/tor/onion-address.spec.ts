import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readOnionAddress, waitForOnionAddress } from './onion-address.js';

const ADDRESS = `${'a'.repeat(52)}2345.onion`;

describe('onion addresses', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the hostname file, and nothing from a missing or malformed one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'archy-onion-'));
    expect(await readOnionAddress(dir)).toBeUndefined();
    await writeFile(join(dir, 'hostname'), 'not-an-onion\n');
    expect(await readOnionAddress(dir)).toBeUndefined();
    await writeFile(join(dir, 'hostname'), `${ADDRESS}\n`);
    expect(await readOnionAddress(dir)).toBe(ADDRESS);
  });

  it('waits for the file, bounded', async () => {
    dir = await mkdtemp(join(tmpdir(), 'archy-onion-'));
    const started = Date.now();
    expect(await waitForOnionAddress(dir, { timeoutMs: 200, intervalMs: 20 })).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    setTimeout(() => void writeFile(join(dir!, 'hostname'), `${ADDRESS}\n`), 50);
    expect(await waitForOnionAddress(dir, { timeoutMs: 5000, intervalMs: 20 })).toBe(ADDRESS);
  });
});
