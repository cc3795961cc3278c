// Turns zod's issues into ManifestIssues: a place in the file, a readable path, a message that
// says what to do, and a suggestion where a typo is likely.

import type { z } from 'zod';
import type { ManifestIssue } from './errors.js';
import { POINT_AT_KEY } from './schema.js';
import { knownKeysAt } from './schema-keys.js';
import { suggest } from './suggest.js';
import type { ManifestYaml } from './yaml-document.js';

// Keys people reach for from docker-compose or Umbrel, refused on purpose: say why, so nobody
// thinks it is a spelling problem.
const REFUSED_KEYS: Record<string, string> = {
  privileged: 'apps never run privileged',
  network_mode: 'every app gets its own isolated network; reach other apps through dependencies',
  networkMode: 'every app gets its own isolated network; reach other apps through dependencies',
  network: 'every app gets its own isolated network; reach other apps through dependencies',
  devices: 'apps cannot be given host devices',
  pid: 'apps cannot share the host PID namespace',
  ipc: 'apps cannot share the host IPC namespace',
  '<<': 'YAML merge keys are not supported; write the fields out',
};
// Inside a volume, anything naming the host side is refused the same way.
const HOST_PATH_KEYS = new Set(['source', 'src', 'host', 'hostPath', 'bind']);
const HOST_PATH_REASON =
  'a volume is always stored in DATA_DIR/<app-id>/<name>; a manifest cannot name a host path';

/** "ports[0].host", `env["MY-VAR"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const key = String(segment);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return index === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}

function refusalReason(key: string, parent: readonly PropertyKey[]): string | undefined {
  const inVolume = parent.length === 2 && parent[0] === 'volumes';
  if (inVolume && HOST_PATH_KEYS.has(key)) return HOST_PATH_REASON;
  return Object.hasOwn(REFUSED_KEYS, key) ? REFUSED_KEYS[key] : undefined;
}

export function toManifestIssues(
  issues: readonly z.core.$ZodIssue[],
  context: { file: string; yaml: ManifestYaml; schema: z.core.$ZodType },
): ManifestIssue[] {
  const { file, yaml, schema } = context;
  const at = (
    path: readonly PropertyKey[],
    where: 'key' | 'value',
    message: string,
    suggestion?: string,
  ) => ({
    file,
    ...yaml.locate(path, where),
    path: formatPath(path),
    message,
    ...(suggestion !== undefined && { suggestion }),
  });
  // `imgae: ...` also leaves `image` missing; "did you mean 'image'?" on the typo says it all,
  // and a second "image is required" issue would only bury it.
  const suggestedKeys = new Set<string>();
  const missingKeys = new Set<ManifestIssue>();

  const converted = issues.flatMap((issue): ManifestIssue[] => {
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(schema, issue.path);
        return issue.keys.map((key) => {
          const reason = refusalReason(key, issue.path);
          const suggestion = reason === undefined ? suggest(key, known) : undefined;
          if (suggestion !== undefined) suggestedKeys.add(formatPath([...issue.path, suggestion]));
          const message =
            reason !== undefined
              ? `unknown key '${key}': ${reason}`
              : suggestion !== undefined
                ? `unknown key '${key}'`
                : `unknown key '${key}'; allowed here: ${known.join(', ')}`;
          return at([...issue.path, key], 'key', message, suggestion);
        });
      }
      case 'invalid_key':
        return [at(issue.path, 'key', issue.issues[0]?.message ?? issue.message)];
      case 'invalid_value': {
        const choices = issue.values.map(String);
        const suggestion = typeof issue.input === 'string' ? suggest(issue.input, choices) : undefined;
        const converted = at(issue.path, 'value', issue.message, suggestion);
        if (issue.input === undefined) missingKeys.add(converted);
        return [converted];
      }
      case 'custom': {
        const where = issue.params?.pointAt === POINT_AT_KEY.pointAt ? 'key' : 'value';
        return [at(issue.path, where, issue.message)];
      }
      default: {
        const converted = at(issue.path, 'value', issue.message);
        if (issue.code === 'invalid_type' && issue.input === undefined) missingKeys.add(converted);
        return [converted];
      }
    }
  });
  return converted.filter((issue) => !(missingKeys.has(issue) && suggestedKeys.has(issue.path)));
}
