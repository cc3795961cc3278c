import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeptLogLine } from '../kernel/index.js';
import {
  appendToCurrent,
  enforceTotalCap,
  keepNewestFiles,
  keptLogFiles,
  readKeptFile,
  rotateCurrent,
  truncateCurrent,
} from './kept-log-files.js';
import { parseByteSize } from './kept-log-limits.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'kept-log-files-'));
  dirs.push(dir);
  return dir;
};
const line = (time: string, text: string): string =>
  `${JSON.stringify({ time, service: 'main', stream: 'stdout', container: 'abc', text } satisfies KeptLogLine)}\n`;

describe('kept log files', () => {
  it('rotates current.log to the time of its first line, and lists oldest first', async () => {
    const dir = tempDir();
    await appendToCurrent(dir, line('2026-12-06T10:00:00.000000000Z', 'a'));
    expect(await rotateCurrent(dir)).toBe('2026-12-06T10:00:00.000000000Z.log');
    await appendToCurrent(dir, line('2026-12-06T09:00:00.000000000Z', 'b'));
    await rotateCurrent(dir);
    await appendToCurrent(dir, line('2026-12-06T11:00:00.000000000Z', 'c'));
    expect(await keptLogFiles(dir)).toEqual([
      '2026-12-06T09:00:00.000000000Z.log',
      '2026-12-06T10:00:00.000000000Z.log',
      'current.log',
    ]);
    expect((await readKeptFile(join(dir, 'current.log'))).map((l) => l.text)).toEqual(['c']);
  });

  it('keeps the newest files per app, current.log counted even before it is written again', async () => {
    const dir = tempDir();
    for (const hour of ['01', '02', '03', '04']) {
      await appendToCurrent(dir, line(`2026-12-06T${hour}:00:00.000000000Z`, hour));
      await rotateCurrent(dir);
    }
    await keepNewestFiles(dir, 3);
    expect(await keptLogFiles(dir)).toEqual([
      '2026-12-06T03:00:00.000000000Z.log',
      '2026-12-06T04:00:00.000000000Z.log',
    ]);
  });

  it('cuts a half-kept batch back, and skips a line a crash cut', async () => {
    const dir = tempDir();
    await appendToCurrent(dir, line('2026-12-06T10:00:00.000000000Z', 'kept'));
    const size = Buffer.byteLength(line('2026-12-06T10:00:00.000000000Z', 'kept'));
    await appendToCurrent(dir, '{"time":"2026-12-06T10:00:01');
    expect((await readKeptFile(join(dir, 'current.log'))).map((l) => l.text)).toEqual(['kept']);
    await truncateCurrent(dir, size);
    await appendToCurrent(dir, line('2026-12-06T10:00:01.000000000Z', 'again'));
    expect((await readKeptFile(join(dir, 'current.log'))).map((l) => l.text)).toEqual(['kept', 'again']);
  });

  it('deletes the oldest rotated files of any app past the total cap, never a current one', async () => {
    const logs = tempDir();
    const big = 'x'.repeat(1000);
    for (const [app, hours] of [
      ['a', ['01', '03']],
      ['b', ['02', '04']],
    ] as const) {
      const dir = join(logs, app);
      mkdirSync(dir);
      for (const hour of hours) {
        writeFileSync(
          join(dir, `2026-12-06T${hour}:00:00.000000000Z.log`),
          line(`2026-12-06T${hour}:00:00.000000000Z`, big),
        );
      }
      writeFileSync(join(dir, 'current.log'), line('2026-12-06T05:00:00.000000000Z', big));
    }
    await enforceTotalCap(logs, 4500, () => true);
    expect(readdirSync(join(logs, 'a')).sort()).toEqual([
      '2026-12-06T03:00:00.000000000Z.log',
      'current.log',
    ]);
    expect(readdirSync(join(logs, 'b')).sort()).toEqual([
      '2026-12-06T04:00:00.000000000Z.log',
      'current.log',
    ]);
  });
});

describe('parseByteSize', () => {
  it('reads sizes in powers of 1024 and refuses the rest', () => {
    expect(parseByteSize('10M', '--x')).toBe(10 * 1024 * 1024);
    expect(parseByteSize('512MiB', '--x')).toBe(512 * 1024 * 1024);
    expect(parseByteSize('64k', '--x')).toBe(65536);
    expect(parseByteSize('65536', '--x')).toBe(65536);
    expect(() => parseByteSize('ten', '--kept-logs-total')).toThrow(/--kept-logs-total expects a size/);
    expect(() => parseByteSize('0', '--x')).toThrow();
  });
});
