import { describe, expect, it } from 'vitest';
import { parseJsonLines } from './json-lines.js';

async function all(chunks: string[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const value of parseJsonLines(
    (async function* () {
      for (const c of chunks) yield Buffer.from(c);
    })(),
  ))
    out.push(value);
  return out;
}

describe('JSON lines', () => {
  it('parses documents split across chunks, and a last one without a newline', async () => {
    expect(await all(['{"a":', '1}\n\n{"b"', ':2}\n{"c":3}'])).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });
});
