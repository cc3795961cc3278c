import { createHash, randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HashingMeter, sha256OfFile, SizeCapExceeded } from './sha256-stream.js';
import { tempFolder } from './spec-release-fixture.js';

const sink = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

describe('sha256OfFile', () => {
  it('matches a one-shot hash across many read chunks', async () => {
    const dir = await tempFolder('hash');
    try {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      await writeFile(join(dir, 'f'), data);
      expect(await sha256OfFile(join(dir, 'f'))).toBe(createHash('sha256').update(data).digest('hex'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('HashingMeter', () => {
  it('counts and hashes what passes through', async () => {
    const meter = new HashingMeter();
    await pipeline(Readable.from([Buffer.from('ab'), Buffer.from('c')]), meter, sink());
    expect(meter.bytes).toBe(3);
    expect(meter.digest()).toBe(createHash('sha256').update('abc').digest('hex'));
  });

  it('stops a stream that grows past its cap', async () => {
    const meter = new HashingMeter(4);
    await expect(
      pipeline(Readable.from([Buffer.from('abc'), Buffer.from('de')]), meter, sink()),
    ).rejects.toThrow(SizeCapExceeded);
  });
});
