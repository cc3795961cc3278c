import { describe, expect, it } from 'vitest';
import { unsignedRegistriesFromEnv } from './unsigned-registries.js';

const listed = (env: NodeJS.ProcessEnv) => [...unsignedRegistriesFromEnv(env).registries];

describe('unsignedRegistriesFromEnv', () => {
  it('is empty in normal operation: every image needs a signature', () => {
    expect(unsignedRegistriesFromEnv({})).toEqual({ registries: new Set(), warnings: [] });
    expect(listed({ ARCHY_ALLOW_UNSIGNED: '0' })).toEqual([]);
    expect(listed({ ARCHY_ALLOW_UNSIGNED: '', ARCHY_UNSIGNED_REGISTRIES: ' ' })).toEqual([]);
  });

  it('names registries, each logged as a warning', () => {
    const escape = unsignedRegistriesFromEnv({
      ARCHY_UNSIGNED_REGISTRIES: '127.0.0.1:5000, localhost:5001,[::1]:5002',
    });
    expect([...escape.registries]).toEqual(['127.0.0.1:5000', 'localhost:5001', '[::1]:5002']);
    expect(escape.warnings).toHaveLength(3);
    expect(escape.warnings[0]).toBe(
      'images from 127.0.0.1:5000 run WITHOUT a signature check (the development escape); development only',
    );
  });

  it('scopes the old switch to the plain-HTTP development registries the node is told about', () => {
    const escape = unsignedRegistriesFromEnv({
      ARCHY_ALLOW_UNSIGNED: '1',
      ARCHY_INSECURE_REGISTRIES: '127.0.0.1:5000',
    });
    expect([...escape.registries]).toEqual(['127.0.0.1:5000']);
    expect(escape.warnings[0]).toMatch(
      /^ARCHY_ALLOW_UNSIGNED=1 covers only the development registries in ARCHY_INSECURE_REGISTRIES \(127\.0\.0\.1:5000\)/,
    );
  });

  it('opens nothing with the old switch alone, and says so', () => {
    const escape = unsignedRegistriesFromEnv({ ARCHY_ALLOW_UNSIGNED: '1' });
    expect([...escape.registries]).toEqual([]);
    expect(escape.warnings).toEqual([
      expect.stringMatching(/^ARCHY_ALLOW_UNSIGNED=1 is ignored: .*every image needs a signature$/),
    ]);
    expect(() => unsignedRegistriesFromEnv({ ARCHY_ALLOW_UNSIGNED: 'yes' })).toThrow(/is not 0 or 1/);
  });

  it('accepts the old switch beside named registries, where it changes nothing', () => {
    const escape = unsignedRegistriesFromEnv({
      ARCHY_ALLOW_UNSIGNED: '1',
      ARCHY_UNSIGNED_REGISTRIES: '127.0.0.1:5000',
    });
    expect([...escape.registries]).toEqual(['127.0.0.1:5000']);
    expect(escape.warnings[0]).toMatch(/^ARCHY_ALLOW_UNSIGNED=1 is ignored/);
  });

  it('refuses a wildcard or anything that is not a registry', () => {
    for (const value of ['*', '127.0.0.1:5000/apps', 'http://127.0.0.1:5000', 'a b']) {
      expect(() => unsignedRegistriesFromEnv({ ARCHY_UNSIGNED_REGISTRIES: value })).toThrow(
        /is not a registry/,
      );
    }
  });
});
