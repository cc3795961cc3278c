import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JsonDirectory, JsonFile, StoredFileError, type JsonFormat } from './json-store.js';

const Pet = z.object({ name: z.string(), legs: z.number().int() });
type Pet = z.infer<typeof Pet>;
const v1: JsonFormat<Pet> = { what: 'pet', schema: Pet, version: 1 };
// Version 2 renamed `feet` (version 1) to `legs`.
const v2: JsonFormat<Pet> = {
  what: 'pet',
  schema: Pet,
  version: 2,
  migrate: (document, from) => (from < 2 ? { name: document.name, legs: document.feet } : document),
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-json-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('JsonFile', () => {
  it('writes the value with its format version and reads it back', async () => {
    const file = new JsonFile(join(dir, 'cat.json'), v1);
    await file.write({ name: 'cat', legs: 4 });
    expect(JSON.parse(await readFile(file.path, 'utf8'))).toEqual({ name: 'cat', legs: 4, schemaVersion: 1 });
    expect(await file.read()).toEqual({ name: 'cat', legs: 4 });
  });

  it('reads a missing file as undefined and removes idempotently', async () => {
    const file = new JsonFile(join(dir, 'none.json'), v1);
    expect(await file.read()).toBeUndefined();
    await file.remove();
    await file.remove();
  });

  it('reads a file without a version as version 1 and migrates it', async () => {
    await writeFile(join(dir, 'dog.json'), JSON.stringify({ name: 'dog', feet: 4 }));
    expect(await new JsonFile(join(dir, 'dog.json'), v2).read()).toEqual({ name: 'dog', legs: 4 });
  });

  it('refuses a file a newer format wrote, naming both versions', async () => {
    await writeFile(join(dir, 'new.json'), JSON.stringify({ name: 'x', legs: 1, schemaVersion: 3 }));
    await expect(new JsonFile(join(dir, 'new.json'), v2).read()).rejects.toThrow(
      /written by a newer Archipelago \(pet format 3; this one reads up to 2\)/,
    );
  });

  it('refuses a document that does not match the schema, naming the field', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ name: 'x', legs: 'many' }));
    const read = new JsonFile(join(dir, 'bad.json'), v1).read();
    await expect(read).rejects.toBeInstanceOf(StoredFileError);
    await expect(new JsonFile(join(dir, 'bad.json'), v1).read()).rejects.toThrow(/not a valid pet: .*legs/);
  });

  it('refuses torn JSON with the path and what to do', async () => {
    await writeFile(join(dir, 'torn.json'), '{"name": "x", "le');
    await expect(new JsonFile(join(dir, 'torn.json'), v1).read()).rejects.toThrow(
      /torn\.json is not valid JSON .*restore it from a backup or remove the file/,
    );
  });
});

describe('JsonDirectory', () => {
  it('lists every value by key, skipping temp files', async () => {
    const pets = new JsonDirectory(join(dir, 'pets'), v1);
    await pets.write('b', { name: 'b', legs: 2 });
    await pets.write('a', { name: 'a', legs: 4 });
    await writeFile(join(dir, 'pets', '.a.json.123.tmp'), 'half');
    expect(await pets.readAll()).toEqual([
      { key: 'a', value: { name: 'a', legs: 4 } },
      { key: 'b', value: { name: 'b', legs: 2 } },
    ]);
    await pets.remove('a');
    expect((await pets.readAll()).map((e) => e.key)).toEqual(['b']);
  });
});
