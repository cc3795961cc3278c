// `${ARCHY_…}` references (manifest/references.ts) in a container's env values, command and
// entrypoint, made real when its spec is made. A plain reference is replaced by its value: the
// container has it in its env anyway (a dependency's host and ports, its RPC user, the app id,
// the node's host name). A secret one never enters the spec: the secret is mounted as a file and
// the argv is wrapped in the prelude (security/secrets/reference-prelude.ts) that reads it at
// start, so `podman inspect` shows only variable names. Resolution is pure; what it needs from
// elsewhere (the secret files, the image's own argv) comes in as callbacks.

import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { splitReferences, type ReferenceKind } from '../manifest/index.js';
import type { ContainerCreateSpec } from '../podman/index.js';
import { withSecretReferences, type PreludePart } from '../security/secrets/index.js';

/** Only `${ARCHY_…}` is a reference: a spec without this text is left exactly as it is. */
const MARK = '${ARCHY_';

/** What a container's references resolve against. */
export interface ReferenceValues {
  /** Who this container is, for messages: `'app'` or `service 'db' of 'app'`. */
  what: string;
  /** The names it may reference and their kind (allowedReferences of the dependencies it uses). */
  allowed: ReadonlyMap<string, ReferenceKind>;
  /** The plain values it has (its injected env, ARCHY_APP_ID, ARCHY_DEVICE_HOSTNAME). */
  plain: Readonly<Record<string, string>>;
}

/** A text with its plain references substituted and its secret ones kept as parts. */
export function substitutePlain(text: string, values: ReferenceValues, at: string): PreludePart[] {
  const parts: PreludePart[] = [];
  const literal = (value: string) => {
    const last = parts.at(-1);
    if (last && 'literal' in last) last.literal += value;
    else parts.push({ literal: value });
  };
  for (const part of splitReferences(text)) {
    if ('literal' in part) {
      literal(part.literal);
      continue;
    }
    const name = part.reference;
    const kind = values.allowed.get(name);
    if (kind === 'secret') parts.push({ reference: name });
    else if (kind === 'plain' && values.plain[name] !== undefined) literal(values.plain[name]);
    else
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `${values.what} references \${${name}} in ${at}, which has no value for it` +
          (kind === undefined
            ? ' (not a name this container may use)'
            : ' (its dependency does not export it, or it is not bound yet)') +
          `; change the manifest or the dependency's exports`,
      );
  }
  return parts.length === 0 ? [{ literal: '' }] : parts;
}

/** The text of parts without secret references; undefined when one is left. */
const asLiteral = (parts: readonly PreludePart[]): string | undefined =>
  parts.every((part) => 'literal' in part)
    ? parts.map((part) => (part as { literal: string }).literal).join('')
    : undefined;

const secretsIn = (parts: readonly PreludePart[]): string[] =>
  parts.flatMap((part) => ('reference' in part ? [part.reference] : []));

/** What the effects provide: the secret files, the image's own argv. */
export interface ReferenceEffects {
  /** Mounts the named secrets as files; returns name → path of the file inside the container. */
  secretFiles(names: readonly string[]): Promise<Record<string, string>>;
  /** The image's own Entrypoint and Cmd (only asked when the manifest does not give both). */
  imageArgv(): Promise<{ entrypoint: string[]; cmd: string[] }>;
}

/** True when any env value, command or entrypoint item of the spec holds a reference. */
export function hasReferences(spec: ContainerCreateSpec): boolean {
  return [...Object.values(spec.env ?? {}), ...(spec.command ?? []), ...(spec.entrypoint ?? [])].some(
    (text) => text.includes(MARK),
  );
}

/**
 * The spec with its references made real: plain ones substituted; when a secret one is left, the
 * env values holding one are moved into the prelude and the whole argv (the image's own where the
 * spec gives none) is wrapped.
 */
export async function withResolvedReferences(
  spec: ContainerCreateSpec,
  values: ReferenceValues,
  effects: ReferenceEffects,
): Promise<ContainerCreateSpec> {
  if (!hasReferences(spec)) return spec;
  const env: Record<string, string> = {};
  const secretEnv: Record<string, PreludePart[]> = {};
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    const parts = substitutePlain(value, values, `env ${name}`);
    const text = asLiteral(parts);
    if (text !== undefined) env[name] = text;
    else {
      secretEnv[name] = parts;
      for (const secret of secretsIn(parts)) secrets.add(secret);
    }
  }
  const items = (key: 'entrypoint' | 'command') =>
    spec[key]?.map((item, index) => substitutePlain(item, values, `${key}[${index}]`));
  const entrypoint = items('entrypoint');
  const command = items('command');
  for (const parts of [...(entrypoint ?? []), ...(command ?? [])])
    for (const secret of secretsIn(parts)) secrets.add(secret);
  const literalItems = (list: PreludePart[][] | undefined) => list?.map((parts) => asLiteral(parts)!);
  if (secrets.size === 0) {
    const resolved: ContainerCreateSpec = { ...spec, env };
    if (entrypoint) resolved.entrypoint = literalItems(entrypoint)!;
    if (command) resolved.command = literalItems(command)!;
    return resolved;
  }
  const files = await effects.secretFiles([...secrets]);
  // What Podman would run: the spec's entrypoint, else the image's; the spec's command, else the
  // image's cmd — but only when the spec sets no entrypoint (Podman drops the image's cmd then).
  const image = entrypoint && command ? undefined : await effects.imageArgv();
  const literal = (list: readonly string[]) => list.map((item) => [{ literal: item }]);
  const argv = [
    ...(entrypoint ?? literal(image!.entrypoint)),
    ...(command ?? (entrypoint ? [] : literal(image!.cmd))),
  ];
  if (argv.length === 0) {
    throw new ArchyError(
      RpcErrorCode.Conflict,
      `${values.what} uses a secret reference but neither its manifest nor its image names a command to run; add command: to the manifest`,
    );
  }
  const wrapped = withSecretReferences({ files, env: secretEnv, argv });
  return { ...spec, env, entrypoint: wrapped, command: [] };
}
