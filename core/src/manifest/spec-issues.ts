// For specs: a manifest's problems as `path: message` lines, none when it parses.
import { ManifestError } from './errors.js';
import { parseManifest } from './parse.js';

export function manifestIssues(text: string): string[] {
  try {
    parseManifest(text, 'm.yml');
    return [];
  } catch (error) {
    if (error instanceof ManifestError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
}
