import { describe, expect, it } from 'vitest';
import { refusedStep } from './pipeline-error.js';
import { checkSha256, expectedSha256, parseSha256Sums } from './sha256sums.js';

const A = 'a'.repeat(64);
const B = 'B'.repeat(64);

describe('parseSha256Sums', () => {
  it('reads text and binary (*) lines, CRLF and blank lines', () => {
    const sums = parseSha256Sums(
      `${A}  bitcoin-28.1-x86_64-linux-gnu.tar.gz\r\n\n${B} *bitcoin-28.1-win64.zip\n`,
    );
    expect([...sums]).toEqual([
      ['bitcoin-28.1-x86_64-linux-gnu.tar.gz', A],
      ['bitcoin-28.1-win64.zip', 'b'.repeat(64)],
    ]);
  });

  it('refuses a malformed line, naming it', () => {
    expect(() => parseSha256Sums(`${A}  ok.tar.gz\nnot a checksum line\n`)).toThrow(
      /SHA256SUMS line 2 is not '<sha256> {2}<file name>': "not a checksum line"/,
    );
  });

  it('refuses a file listed twice with different hashes', () => {
    expect(() => parseSha256Sums(`${A}  x.tar.gz\n${B}  x.tar.gz\n`)).toThrow(/lists x.tar.gz twice/);
  });
});

describe('checking a tarball', () => {
  const sums = parseSha256Sums(`${A}  bitcoin-28.1-x86_64-linux-gnu.tar.gz\n`);

  it('accepts the listed hash in any case', () => {
    expect(() => checkSha256(sums, 'bitcoin-28.1-x86_64-linux-gnu.tar.gz', A.toUpperCase())).not.toThrow();
  });

  it('refuses a different hash, giving both', () => {
    expect(() => checkSha256(sums, 'bitcoin-28.1-x86_64-linux-gnu.tar.gz', B)).toThrow(
      `bitcoin-28.1-x86_64-linux-gnu.tar.gz has SHA-256 ${B.toLowerCase()}, but SHA256SUMS lists ${A}`,
    );
  });

  it('refuses a file that is not listed', () => {
    let error: unknown;
    try {
      expectedSha256(sums, 'bitcoin-28.1-arm-linux-gnueabihf.tar.gz');
    } catch (caught) {
      error = caught;
    }
    expect(refusedStep(error)).toBe('checksum');
    expect((error as Error).message).toMatch(
      /^bitcoin-28.1-arm-linux-gnueabihf.tar.gz is not listed in SHA256SUMS/,
    );
  });
});
