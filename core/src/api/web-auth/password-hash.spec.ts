import { describe, expect, it } from 'vitest';
import { hashPassword, passwordRecordSchema, SCRYPT_DEFAULTS, verifyPassword } from './password-hash.js';

describe('scrypt password hash', () => {
  it('verifies the right password and not a wrong one, with a fresh salt each time', async () => {
    const record = await hashPassword('correct horse battery');
    expect(record).toMatchObject({ algo: 'scrypt', ...SCRYPT_DEFAULTS });
    expect(Buffer.from(record.salt, 'base64')).toHaveLength(16);
    expect(JSON.stringify(record)).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', record)).toBe(true);
    expect(await verifyPassword('correct horse batterz', record)).toBe(false);
    expect((await hashPassword('correct horse battery')).hash).not.toBe(record.hash);
  });

  it('verifies with the parameters stored in the record, so stronger defaults later still accept old hashes', async () => {
    const record = await hashPassword('old but fine 1', { N: 2 ** 14, r: 8, p: 1 });
    expect(await verifyPassword('old but fine 1', record)).toBe(true);
  });

  it('refuses records whose parameters would exhaust memory or are not scrypt', () => {
    const valid = { algo: 'scrypt', N: 2 ** 15, r: 8, p: 1, salt: 'c2FsdA==', hash: 'aGFzaA==' };
    expect(passwordRecordSchema.safeParse(valid).success).toBe(true);
    expect(passwordRecordSchema.safeParse({ ...valid, N: 2 ** 24 }).success).toBe(false);
    expect(passwordRecordSchema.safeParse({ ...valid, N: 30000 }).success).toBe(false);
    expect(passwordRecordSchema.safeParse({ ...valid, algo: 'plain' }).success).toBe(false);
    expect(passwordRecordSchema.safeParse({ ...valid, password: 'x' }).success).toBe(false);
  });
});
