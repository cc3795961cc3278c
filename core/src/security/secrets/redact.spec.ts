import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { pinoRedaction, REDACTED, Redactor } from './redact.js';

const SECRET = 'hunter2-Very-Secret_value';

describe('Redactor', () => {
  it('blanks registered values out of strings, longest first', () => {
    const r = new Redactor();
    r.add(SECRET);
    r.add(`${SECRET}-and-more`);
    expect(r.redactString(`a ${SECRET} b ${SECRET}-and-more c`)).toBe(`a ${REDACTED} b ${REDACTED} c`);
    expect(r.redactString('nothing here')).toBe('nothing here');
  });

  it('treats regex characters in values literally and ignores the empty string', () => {
    const r = new Redactor();
    r.add('a.b*c(d)$');
    r.add('');
    expect(r.redactString('a.b*c(d)$ axbbc(d)$')).toBe(`${REDACTED} axbbc(d)$`);
    expect(r.redactString('')).toBe('');
  });

  it('catches values in their JSON-escaped and URL-encoded forms', () => {
    const r = new Redactor();
    const odd = 'pa"ss\\wo rd/+?';
    r.add(odd);
    const json = JSON.stringify({ odd });
    expect(r.containsSecret(json)).toBe(true);
    expect(JSON.parse(r.redactString(json))).toEqual({ odd: REDACTED });
    expect(r.redactString(`http://u:${encodeURIComponent(odd)}@host/`)).toBe(`http://u:${REDACTED}@host/`);
  });

  it('redacts nested objects, arrays, errors and sensitive field names, and survives cycles', () => {
    const r = new Redactor();
    r.add(SECRET);
    const cyclic: Record<string, unknown> = { note: `x${SECRET}x` };
    cyclic.self = cyclic;
    const input = {
      id: 'bitcoin-core',
      list: [SECRET, 1, null, { deep: SECRET }],
      error: new Error(`bad password ${SECRET}`),
      rpcPassword: 'typed-by-user',
      authToken: 'abc',
      secretName: 'rpcpassword',
      cyclic,
    };
    const out = r.redact(input);
    expect(out).toEqual({
      id: 'bitcoin-core',
      list: [REDACTED, 1, null, { deep: REDACTED }],
      error: { name: 'Error', message: `bad password ${REDACTED}` },
      rpcPassword: REDACTED,
      authToken: REDACTED,
      secretName: 'rpcpassword',
      cyclic: { note: `x${REDACTED}x`, self: '[circular]' },
    });
    expect(input.list[0]).toBe(SECRET); // a copy: the input is untouched
  });

  it('says whether a text holds a secret, and its assertion never repeats the value', () => {
    const r = new Redactor();
    expect(r.containsSecret(SECRET)).toBe(false);
    r.add(SECRET);
    expect(r.containsSecret(`..${SECRET}..`)).toBe(true);
    expect(r.containsSecret(`..${SECRET}..`)).toBe(true); // no sticky lastIndex between calls
    expect(r.containsSecret('clean')).toBe(false);
    expect(() => r.assertNoSecrets('clean', 'response')).not.toThrow();
    let message = '';
    try {
      r.assertNoSecrets(`${SECRET} ${SECRET}`, 'daemon log');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('daemon log contains 2 occurrence(s) of a registered secret value');
  });
});

describe('pinoRedaction', () => {
  it('keeps secrets out of every log line, wherever they hide', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const redactor = new Redactor();
    const logger = pino({ level: 'debug', ...pinoRedaction(redactor) }, sink);
    redactor.add(SECRET); // registered after the logger was made: still applies
    logger.info(`message with ${SECRET}`);
    logger.info({ app: 'x', env: { RPC: SECRET } }, 'object');
    logger.error({ err: new Error(`failed: ${SECRET}`) }, 'error with stack');
    logger.info(
      { req: { headers: { authorization: 'Bearer not-registered' } }, password: 'typed' },
      'request',
    );
    logger.debug({ nested: [{ deeper: `"${SECRET}"` }] }, 'escaped');
    const text = lines.join('');
    expect(lines).toHaveLength(5);
    expect(redactor.containsSecret(text)).toBe(false);
    expect(text).not.toContain('not-registered');
    expect(text).not.toContain('typed');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(text).toContain(`message with ${REDACTED}`);
  });
});
