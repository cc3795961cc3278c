// The module's entry points: manifest text or file in, AppManifest out, ManifestError otherwise.

import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { ManifestError } from './errors.js';
import { manifestErrorMap } from './messages.js';
import { appManifestSchema } from './schema.js';
import type { AppManifest } from './types.js';
import { MAX_MANIFEST_BYTES, readManifestYaml } from './yaml-document.js';
import { toManifestIssues } from './zod-issues.js';

export { MAX_MANIFEST_BYTES, MAX_ALIAS_EXPANSIONS } from './yaml-document.js';

/**
 * Validates manifest YAML and returns it normalized (sizes in bytes, durations in ms, defaults
 * filled in). `file` is only used to cite places in errors. Throws ManifestError.
 */
export function parseManifest(text: string, file: string): AppManifest {
  const yaml = readManifestYaml(text, file);
  const result = appManifestSchema.safeParse(yaml.value, { error: manifestErrorMap, reportInput: true });
  if (result.success) return result.data;
  throw new ManifestError(toManifestIssues(result.error.issues, { file, yaml, schema: appManifestSchema }));
}

/** Reads and parses a manifest file; errors cite the path as given. Throws ManifestError. */
export async function loadManifestFile(path: string): Promise<AppManifest> {
  return parseManifest(await readCapped(path), path);
}

// Reads at most one byte past the cap, so pointing the linter at a disk image costs nothing.
async function readCapped(path: string): Promise<string> {
  const refuse = (message: string): never => {
    throw new ManifestError([{ file: path, line: 0, col: 0, path: '', message }]);
  };
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    return refuse(describeReadError(error, path));
  }
  try {
    if (!(await handle.stat()).isFile()) refuse(`${basename(path)} is not a regular file`);
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_MANIFEST_BYTES) {
        refuse(`the manifest is larger than ${MAX_MANIFEST_BYTES / 1024} KiB, the limit for a manifest`);
      }
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

function describeReadError(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `no such file; check the path ${JSON.stringify(path)}`;
  if (code === 'EACCES') return 'permission denied reading the manifest';
  if (code === 'EISDIR') return 'is a directory; name the manifest.yml inside it';
  return `cannot read the manifest: ${(error as Error).message}`;
}
