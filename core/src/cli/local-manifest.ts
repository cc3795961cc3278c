import { readFile } from 'node:fs/promises';
import { errorDataFor, RpcErrorCode } from '../api/contract.js';
import type { ManifestIssue } from '../manifest/index.js';
import { CliError } from './cli-error.js';

/** A manifest the local check refused; `message` holds every issue, one `file:line:col: ...` per line. */
export class InvalidManifestError extends CliError {
  constructor(
    readonly issues: readonly ManifestIssue[],
    formatted: string,
    cause: unknown,
  ) {
    super(formatted, { preformatted: true, rpcCode: RpcErrorCode.InvalidManifest, cause });
    this.name = 'InvalidManifestError';
  }
}

export interface LocalManifest {
  text: string;
  id: string;
  version: string;
  provides: string[];
}

/**
 * Reads and validates a manifest on this machine, so its problems show as `file:line:col` lines
 * (named as the user typed the path) before anything is sent to the daemon.
 */
export async function readLocalManifest(file: string): Promise<LocalManifest> {
  const text = await readManifestText(file);
  // Loaded on demand: only the commands that read manifests pay for the YAML parser.
  const { parseManifest, ManifestError, formatIssues } = await import('../manifest/index.js');
  try {
    const manifest = parseManifest(text, file);
    return { text, id: manifest.id, version: manifest.version, provides: manifest.provides };
  } catch (error) {
    if (error instanceof ManifestError)
      throw new InvalidManifestError(error.issues, formatIssues(error.issues), error);
    throw error;
  }
}

/** Reads a manifest file, with errors that say what is wrong with the path. */
export async function readManifestText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory; name the manifest.yml inside it'
            : (error as Error).message;
    throw new CliError(`cannot read manifest ${file}: ${why}`, { cause: error });
  }
}

/**
 * The daemon's refusal of a manifest, with every issue it found one per line (the daemon parses
 * with the file name the user typed, so the lines read as if checked here).
 */
export async function manifestRefusal(error: unknown): Promise<unknown> {
  if (!(error instanceof CliError)) return error;
  const data = errorDataFor({ code: error.rpcCode, data: error.data }, RpcErrorCode.InvalidManifest);
  const issues = data && 'issues' in data ? data.issues : undefined;
  if (!Array.isArray(issues) || issues.length === 0) return error;
  const { formatIssues } = await import('../manifest/errors.js');
  return new InvalidManifestError(issues, formatIssues(issues), error);
}

/** The app id a manifest declares, read without parsing it: enough to follow its install. */
export function manifestIdHint(text: string): string | undefined {
  return /^id:[ \t]*["']?([a-z0-9][a-z0-9-]{0,62})["']?[ \t]*(?:#.*)?$/m.exec(text)?.[1];
}
