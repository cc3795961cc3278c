import { describe, expect, it } from 'vitest';
import { generateBackupKey, lastKeyGroup, normalizeBackupKey } from './backup-key.js';

describe('backup key', () => {
  it('is 256 random bits as 13 groups of base32', () => {
    const key = generateBackupKey();
    expect(key).toMatch(/^([A-Z2-7]{4}-){12}[A-Z2-7]{4}$/);
    expect(generateBackupKey()).not.toBe(key);
    expect(lastKeyGroup(key)).toBe(key.slice(-4));
  });

  it('reads a typed key whatever its case, spaces and dashes', () => {
    const key = generateBackupKey();
    expect(normalizeBackupKey(key.toLowerCase().replace(/-/g, ' '))).toBe(key);
    expect(normalizeBackupKey(`  ${key.replace(/-/g, '')}\n`)).toBe(key);
  });

  it('refuses what is not a key', () => {
    expect(() => normalizeBackupKey('hunter2!')).toThrow(/not a backup key/);
    expect(() => normalizeBackupKey('')).toThrow(/not a backup key/);
  });
});
