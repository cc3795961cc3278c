// References in a manifest's env values, command and entrypoint: `${ARCHY_…}` stands for a value
// the daemon knows only when it makes the container (a dependency's host and ports, this
// dependent's own RPC login, the node's host name, the app's generated password). Imported apps
// need them: an Umbrel app reads `$APP_BITCOIN_RPC_USER` where our own apps read the
// `ARCHY_DEP_…` env the daemon injects. Only `${ARCHY_<NAME>}` is a reference — anything else
// (`$x`, `${x:-y}`, `${cookie%%:*}`, `$$`) is left to the shell scripts manifests already carry.
// Pure: the names allowed, and a string split into its literal and referenced parts.

import { ZMQ_TOPICS } from './exports-schema.js';

/**
 * `ARCHY_DEP_<N>`: the env prefix of one dependency, N its requested id upper-cased with '-' → '_'.
 * The one spelling of it: the daemon's injected env and the references both use this.
 */
export const envPrefix = (requested: string): string =>
  `ARCHY_DEP_${requested.toUpperCase().replace(/-/g, '_')}`;

/**
 * Plain references are substituted into the container spec by the daemon (their values are in
 * the container's env anyway); secret ones never are: the container reads them from a mounted
 * secret file at start.
 */
export type ReferenceKind = 'plain' | 'secret';

export type ReferencePart = { literal: string } | { reference: string };

/** The references every app may use, whatever its dependencies. */
const APP_REFERENCES: Record<string, ReferenceKind> = {
  ARCHY_APP_ID: 'plain',
  ARCHY_DEVICE_HOSTNAME: 'plain',
  ARCHY_APP_PASSWORD: 'secret',
  ARCHY_APP_SEED: 'secret',
  // The app's own Tor (manifest `tor:`), in its network namespace: `127.0.0.1:9050` and
  // `127.0.0.1:9051`; the control port's password is generated per app.
  ARCHY_TOR_SOCKS: 'plain',
  ARCHY_TOR_CONTROL: 'plain',
  ARCHY_TOR_CONTROL_PASSWORD: 'secret',
};

/** The suffixes after `ARCHY_DEP_<N>` a dependency of this interface offers. */
function dependencySuffixes(interfaceName: string): Record<string, ReferenceKind> {
  switch (interfaceName) {
    case 'bitcoin-node':
      return {
        _HOST: 'plain',
        _RPC_PORT: 'plain',
        _P2P_PORT: 'plain',
        _CHAIN: 'plain',
        _RPC_USER: 'plain',
        _RPC_PASSWORD_FILE: 'plain',
        _RPC_COOKIE_FILE: 'plain',
        _RPC_PASSWORD: 'secret',
        ...Object.fromEntries(
          ZMQ_TOPICS.flatMap((topic) => [
            [`_ZMQ_${topic.toUpperCase()}`, 'plain'],
            [`_ZMQ_${topic.toUpperCase()}_PORT`, 'plain'],
          ]),
        ),
      };
    case 'lightning-node':
      return {
        _HOST: 'plain',
        _GRPC_PORT: 'plain',
        _REST_PORT: 'plain',
        _CHAIN: 'plain',
        _TLS_CERT_FILE: 'plain',
        _MACAROON_FILE: 'plain',
        _RUNE_FILE: 'plain',
      };
    default:
      return { _HOST: 'plain', _PORT: 'plain' };
  }
}

/** Every name a container may reference, given the dependencies it uses, with its kind. */
export function allowedReferences(uses: readonly string[]): Map<string, ReferenceKind> {
  const allowed = new Map<string, ReferenceKind>(Object.entries(APP_REFERENCES));
  for (const dependency of uses) {
    const prefix = envPrefix(dependency);
    for (const [suffix, kind] of Object.entries(dependencySuffixes(dependency)))
      allowed.set(`${prefix}${suffix}`, kind);
  }
  return allowed;
}

const REFERENCE = /\$\{(ARCHY_[A-Z0-9_]*)\}/g;

/** Splits a text into literal and referenced parts (a text without references is one literal). */
export function splitReferences(text: string): ReferencePart[] {
  const parts: ReferencePart[] = [];
  let from = 0;
  for (const match of text.matchAll(REFERENCE)) {
    if (match.index > from) parts.push({ literal: text.slice(from, match.index) });
    parts.push({ reference: match[1]! });
    from = match.index + match[0].length;
  }
  if (from < text.length || parts.length === 0) parts.push({ literal: text.slice(from) });
  return parts;
}

/** The names a text references, in order (duplicates kept). */
export function referencesIn(text: string): string[] {
  return splitReferences(text).flatMap((part) => ('reference' in part ? [part.reference] : []));
}

/**
 * What is wrong with the references of one text, or undefined. `allowed` from allowedReferences;
 * the message names what may be used instead.
 */
export function checkReferenceText(text: string, allowed: Map<string, ReferenceKind>): string | undefined {
  const unknown = referencesIn(text).filter((name) => !allowed.has(name));
  if (unknown.length === 0) return undefined;
  return (
    `references ${unknown.map((name) => `\${${name}}`).join(', ')}, which this container cannot use; ` +
    `it may use ${[...allowed.keys()].map((name) => `\${${name}}`).join(', ')} ` +
    '(a dependency’s names only if it lists the dependency, and a service only those in its uses:)'
  );
}
