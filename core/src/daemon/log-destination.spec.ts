import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { logDestination, logFormat } from './log-destination.js';

describe('the daemon log’s format', () => {
  it('is JSON for pipes and files, readable on a terminal, and ARCHY_LOG_FORMAT decides when set', () => {
    expect(logFormat({}, { isTTY: false })).toBe('json');
    expect(logFormat({}, {})).toBe('json');
    expect(logFormat({}, { isTTY: true })).toBe('pretty');
    expect(logFormat({ ARCHY_LOG_FORMAT: 'json' }, { isTTY: true })).toBe('json');
    expect(logFormat({ ARCHY_LOG_FORMAT: 'pretty' }, { isTTY: false })).toBe('pretty');
    expect(() => logFormat({ ARCHY_LOG_FORMAT: 'xml' }, {})).toThrow(
      "ARCHY_LOG_FORMAT is 'xml'; set it to json or pretty, or unset it",
    );
  });

  it('writes a person’s line in pretty mode: time, level, message and the fields', async () => {
    const written: string[] = [];
    const output = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    });
    const destination = await logDestination('pretty', output);
    pino({ name: 'archipelagod' }, destination!).info({ app: 'hello', version: '1.0.0' }, 'installed');
    await new Promise((resolve) => setImmediate(resolve));
    const line = written.join('');
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: installed\n/);
    expect(line).toContain('app: "hello"');
    expect(line).not.toContain('"level"');
  });

  it('leaves pino’s JSON alone otherwise', async () => {
    expect(await logDestination('json')).toBeUndefined();
  });
});
