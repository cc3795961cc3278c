import { describe, expect, it } from 'vitest';
import { appManifestSchema } from './schema.js';
import { knownKeysAt } from './schema-keys.js';

describe('knownKeysAt', () => {
  it('finds the keys of the manifest and of nested mappings through defaults and transforms', () => {
    expect(knownKeysAt(appManifestSchema, [])).toContain('image');
    expect(knownKeysAt(appManifestSchema, ['ports', 0])).toEqual(['container', 'host', 'protocol', 'expose']);
    expect(knownKeysAt(appManifestSchema, ['volumes', 3])).toEqual(['mount', 'name', 'readOnly', 'seed']);
    expect(knownKeysAt(appManifestSchema, ['health', 'http'])).toEqual(['port', 'path', 'status']);
    expect(knownKeysAt(appManifestSchema, ['security'])).toContain('capAdd');
  });

  it('answers nothing where there is no mapping', () => {
    expect(knownKeysAt(appManifestSchema, ['env', 'KEY'])).toEqual([]);
    expect(knownKeysAt(appManifestSchema, ['id'])).toEqual([]);
    expect(knownKeysAt(appManifestSchema, ['nope', 'deeper'])).toEqual([]);
  });
});
