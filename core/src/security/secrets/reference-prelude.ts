// The files-mode prelude for `${ARCHY_…}` secret references (manifest/references.ts): a /bin/sh
// script that reads each referenced secret from its mounted file into a shell variable, exports
// the app's env values that reference one, and execs the app's argv with the references expanded.
// It extends the files-mode prelude of podman-secrets.ts (withEnvFromSecretFiles), which exports
// whole files as env and leaves the argv as it is. Every literal part of the app's env values and argv is single-quoted in the script and each
// reference is written as "${NAME}", so `podman inspect` shows the script with variable names
// only, never a secret value. Pure.

/** One part of an env value or argv item: literal text, or the name of a secret reference. */
export type PreludePart = { literal: string } | { reference: string };

export interface SecretReferenceWrap {
  /** The secret references used: name (a shell variable) → the file inside the container holding it. */
  files: Record<string, string>;
  /** Env variables the app gets with their references expanded, set and exported before exec. */
  env: Record<string, PreludePart[]>;
  /** The app's full argv (entrypoint + command, as it would run), its items as parts. */
  argv: PreludePart[][];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A literal for /bin/sh: single-quoted, an embedded ' as '\'' (nothing is special inside '…'). */
export const shellQuote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`;

/** One shell word: literal parts single-quoted, references as "${NAME}"; an empty item stays an argument. */
function word(parts: readonly PreludePart[], files: Record<string, string>): string {
  const text = parts
    .map((part) => {
      if ('literal' in part) return part.literal === '' ? '' : shellQuote(part.literal);
      if (!NAME.test(part.reference) || !(part.reference in files))
        throw new TypeError(`reference ${JSON.stringify(part.reference)} has no secret file to read it from`);
      return `"\${${part.reference}}"`;
    })
    .join('');
  return text === '' ? "''" : text;
}

/**
 * The argv that runs `wrap.argv` behind the prelude: set it as the container's entrypoint with an
 * empty command (Podman then adds neither the image's entrypoint nor its cmd).
 */
export function withSecretReferences(wrap: SecretReferenceWrap): string[] {
  if (wrap.argv.length === 0)
    throw new TypeError('cannot wrap an empty command: pass the image entrypoint and cmd');
  // Read the files as the existing files-mode prelude does (fail the start when one is missing),
  // into shell variables only: the app sees a secret through the env values that reference it.
  const reads = Object.entries(wrap.files).map(([name, path]) => {
    if (!NAME.test(name)) throw new TypeError(`invalid variable name ${JSON.stringify(name)}`);
    return `${name}="$(cat ${shellQuote(path)})" || exit 1`;
  });
  const exports = Object.entries(wrap.env).map(([name, parts]) => {
    if (!NAME.test(name)) throw new TypeError(`invalid env variable name ${JSON.stringify(name)}`);
    return `${name}=${word(parts, wrap.files)}; export ${name}`;
  });
  const exec = `exec ${wrap.argv.map((item) => word(item, wrap.files)).join(' ')}`;
  return ['/bin/sh', '-c', [...reads, ...exports, exec].join('; '), 'archy-secret-refs'];
}
