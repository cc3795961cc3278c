// The converted manifest as YAML, checked by our own parser: a conversion that parseManifest
// refuses is a converter bug, reported as `invalid` rather than handed to the user.

import { stringify } from 'yaml';
import { ManifestError, formatIssues, parseManifest } from '../../manifest/index.js';

const HEADER =
  '# Converted from an Umbrel app by `archy import umbrel`. Not signed by the Archipelago catalog:\n' +
  '# review it, then install with `archy install ./manifest.yml --accept-imported`.\n';

export type Written = { ok: true; yaml: string } | { ok: false; reason: string };

export function writeManifest(manifest: Record<string, unknown>): Written {
  const yaml = HEADER + stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false });
  try {
    parseManifest(yaml, 'manifest.yml');
    return { ok: true, yaml };
  } catch (error) {
    if (error instanceof ManifestError)
      return { ok: false, reason: formatIssues(error.issues).replace(/\n/g, '; ') };
    throw error;
  }
}
