// `archy parmanode convert`: a Parmanode module folder in, a manifest skeleton, the decisions a
// person must make and the facts found out. The module's files are read (capped) and never run;
// the skeleton is checked by our own manifest parser so the result says whether it is usable as is.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { formatIssue, ManifestError, parseManifest } from '../../manifest/index.js';
import { scanModule, type ModuleFacts, type ModuleFile } from './scan.js';
import { buildSkeleton, type Decision } from './skeleton.js';

/** A module is a few dozen small scripts; these caps only stop a wrong path from reading a disk. */
const MAX_FILES = 500;
const MAX_FILE_BYTES = 1024 * 1024;
const READ_NAMES = /(\.sh|\.bash|Dockerfile[^/]*|compose[^/]*\.ya?ml|\.service|\.conf)$/i;

export interface ConversionResult {
  id: string;
  manifestYaml: string;
  /** Whether our manifest parser accepts the skeleton as it is. */
  valid: boolean;
  /** The parser's objections when not valid (`file:line:col: message`). */
  problems: string[];
  decisions: Decision[];
  found: ModuleFacts & { files: string[] };
}

export class ModuleReadError extends Error {}

/** Reads the module's script, Dockerfile and compose files as text (sub-folders included). */
export async function readModuleFiles(moduleDir: string): Promise<ModuleFile[]> {
  const info = await stat(moduleDir).catch(() => undefined);
  if (!info?.isDirectory())
    throw new ModuleReadError(
      `${moduleDir} is not a folder; give a Parmanode module folder such as Parmanode/src/fulcrum`,
    );
  const files: ModuleFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.')) await walk(path);
      else if (entry.isFile() && READ_NAMES.test(entry.name)) {
        if (files.length >= MAX_FILES)
          throw new ModuleReadError(`${moduleDir} holds more than ${MAX_FILES} scripts; is it one module?`);
        if ((await stat(path)).size > MAX_FILE_BYTES) continue;
        files.push({ name: relative(moduleDir, path), text: await readFile(path, 'utf8') });
      }
    }
  };
  await walk(moduleDir);
  if (files.length === 0)
    throw new ModuleReadError(
      `${moduleDir} holds no .sh, Dockerfile or compose file; give a Parmanode module folder such as Parmanode/src/fulcrum`,
    );
  return files;
}

/** Pure: the conversion of files already read. */
export function convertModuleFiles(moduleDir: string, files: readonly ModuleFile[]): ConversionResult {
  const facts = scanModule(files);
  const skeleton = buildSkeleton(moduleDir, facts);
  let problems: string[] = [];
  try {
    parseManifest(skeleton.manifestYaml, `${skeleton.id}.yml`);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    problems = error.issues.map(formatIssue);
  }
  return {
    id: skeleton.id,
    manifestYaml: skeleton.manifestYaml,
    valid: problems.length === 0,
    problems,
    decisions: skeleton.decisions,
    found: { ...facts, files: files.map((f) => f.name) },
  };
}

export async function convertModule(moduleDir: string): Promise<ConversionResult> {
  return convertModuleFiles(moduleDir, await readModuleFiles(moduleDir));
}
