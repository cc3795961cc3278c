import { describe, expect, it } from 'vitest';
import { canonicalDigest, canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined and adds no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, { d: 'x', c: undefined, a: 'é"' }] })).toBe(
      '{"a":[true,null,{"a":"é\\"","d":"x"}],"b":1}',
    );
  });

  it('gives the same digest whatever the spacing and key order', () => {
    expect(canonicalDigest(JSON.parse('{ "b": 2,\n "a": 1 }'))).toBe(canonicalDigest({ a: 1, b: 2 }));
  });

  it('refuses what has no single text form', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow('canonical JSON holds only integers, got 1.5');
    expect(() => canonicalJson({ a: () => 1 })).toThrow('canonical JSON cannot hold a function');
  });
});
