// Compose-style interpolation of Umbrel's variables (`$NAME`, `${NAME}`, `${NAME:-default}`,
// `${NAME-default}`, `$$`) onto what the same value is here: a literal (the app's own exports,
// a sibling service's name in place of its static IP), a `${ARCHY_…}` reference (a dependency's
// host, port or login; the app's generated password or seed; the node's host name), dropped
// (Tor), or refused with the reason.

import { envPrefix } from '../../manifest/index.js';
import { DEPENDENCY_INTERFACES, dependencyOf, mapDependencyVariable } from './dependencies.js';
import type { ExportsFile } from './exports-file.js';
import type { Findings } from './findings.js';

export interface VariableContext {
  appId: string;
  /** umbrel-app.yml's version and port: APP_VERSION and APP_PROXY_PORT on Umbrel. */
  appVersion?: string;
  appPort?: number;
  exports: ExportsFile;
  /** Umbrel dependency ids the app lists. */
  dependencies: readonly string[];
  /** A static-IP variable or literal IP of one of the app's services → that service's name. */
  serviceByIp: ReadonlyMap<string, string>;
  findings: Findings;
}

/** One interpolated text: the result, the interfaces its references need, and whether Tor took part. */
export interface Interpolated {
  text: string;
  uses: Set<string>;
  /** The text named a Tor variable: the caller drops the whole entry. */
  tor: boolean;
  /** The text named something refused (already reported to the findings). */
  refused: boolean;
}

type Resolution =
  | { kind: 'text'; text: string }
  | { kind: 'reference'; name: string; interface?: string }
  | { kind: 'tor' }
  | { kind: 'unset' }
  | { kind: 'refused' };

const APP_REFERENCES: Record<string, string> = {
  APP_SEED: 'ARCHY_APP_SEED',
  APP_PASSWORD: 'ARCHY_APP_PASSWORD',
  DEVICE_DOMAIN_NAME: 'ARCHY_DEVICE_HOSTNAME',
  DEVICE_HOSTNAME: 'ARCHY_DEVICE_HOSTNAME',
  APP_DOMAIN: 'ARCHY_DEVICE_HOSTNAME',
};

const TOR_VARIABLES = new Set([
  'TOR_PROXY_IP',
  'TOR_PROXY_PORT',
  'TOR_DATA_DIR',
  'TOR_PASSWORD',
  'APP_HIDDEN_SERVICE',
]);

// Set by umbrelOS for every app; what they name (the host's folders, Umbrel's own network) has no
// counterpart here.
const UMBREL_HOST_VARIABLES: Record<string, string> = {
  APP_DATA_DIR: "the app's folder on the Umbrel host",
  UMBREL_ROOT: "umbrelOS's own folder on the host",
  NETWORK_IP: "the address of Umbrel's shared app network",
  GATEWAY_IP: "the gateway of Umbrel's shared app network",
  APP_VERSION: 'the version umbrelOS installed',
};

/** `APP_BTCPAY_SERVER_`: the prefix of the variables an app's own exports.sh defines. */
export const ownPrefix = (appId: string): string => `APP_${appId.toUpperCase().replace(/-/g, '_')}_`;

export class Interpolator {
  private readonly depth = new Set<string>();

  constructor(private readonly context: VariableContext) {}

  /** Interpolates `source` as Compose would, then maps each variable (see the module comment). */
  interpolate(source: string, where: string): Interpolated {
    const result: Interpolated = { text: '', uses: new Set(), tor: false, refused: false };
    result.text = this.expand(source, where, result);
    return result;
  }

  private expand(source: string, where: string, into: Interpolated): string {
    let out = '';
    let index = 0;
    while (index < source.length) {
      const char = source[index]!;
      if (char !== '$') {
        out += char;
        index += 1;
        continue;
      }
      const next = source[index + 1];
      if (next === '$') {
        out += '$';
        index += 2;
        continue;
      }
      if (next === '{') {
        const end = matchingBrace(source, index + 1);
        if (end < 0) {
          out += source.slice(index);
          break;
        }
        out += this.braced(source.slice(index + 2, end), where, into);
        index = end + 1;
        continue;
      }
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(index + 1))?.[0];
      if (name === undefined) {
        out += '$';
        index += 1;
        continue;
      }
      out += this.apply(name, this.resolve(name, where), into);
      index += 1 + name.length;
    }
    return out;
  }

  /** `NAME`, `NAME:-default`, `NAME-default`, `NAME:?error`, `NAME:+alternative`. */
  private braced(inner: string, where: string, into: Interpolated): string {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(inner);
    if (!match) return `\${${inner}}`;
    const [, name = '', operator, word = ''] = match;
    if (operator === undefined || operator.endsWith('?'))
      return this.apply(name, this.resolve(name, where), into);
    // With a default, a variable we cannot map falls back to it (as Compose does when it is unset).
    const scratch = new Findings0();
    const resolved = this.resolve(name, where, scratch);
    const unset = resolved.kind === 'unset' || resolved.kind === 'refused';
    if (operator.endsWith('+')) return unset ? '' : this.expand(word, where, into);
    if (unset) return this.expand(word, where, into);
    scratch.replay(this.context.findings);
    return this.apply(name, resolved, into);
  }

  private apply(name: string, resolved: Resolution, into: Interpolated): string {
    switch (resolved.kind) {
      case 'text':
        return resolved.text;
      case 'reference':
        if (resolved.interface) into.uses.add(resolved.interface);
        return `\${${resolved.name}}`;
      case 'tor':
        into.tor = true;
        return '';
      case 'unset':
        return '';
      case 'refused':
        into.refused = true;
        return `\${${name}}`;
    }
  }

  private resolve(name: string, where: string, findings: FindingSink = this.context.findings): Resolution {
    const { context } = this;
    const service = context.serviceByIp.get(name);
    if (service !== undefined) return { kind: 'text', text: service };
    if (name === 'APP_VERSION' && context.appVersion) return { kind: 'text', text: context.appVersion };
    if (name === 'APP_PROXY_PORT' && context.appPort) return { kind: 'text', text: String(context.appPort) };
    const app = APP_REFERENCES[name];
    if (app !== undefined) return { kind: 'reference', name: app };
    if (TOR_VARIABLES.has(name) || /_TOR_PROXY_IP$|_HIDDEN_SERVICE$/.test(name)) {
      findings.warn('tor', torDropped(where));
      return { kind: 'tor' };
    }
    const literal = context.exports.literal.get(name);
    if (literal !== undefined) {
      if (this.depth.has(name)) return { kind: 'text', text: '' };
      this.depth.add(name);
      const inner: Interpolated = { text: '', uses: new Set(), tor: false, refused: false };
      const text = this.expand(literal, where, inner);
      this.depth.delete(name);
      if (inner.tor) return { kind: 'tor' };
      if (inner.refused) return { kind: 'refused' };
      if (inner.uses.size > 0 || text.includes('${ARCHY_')) {
        return { kind: 'text', text };
      }
      return { kind: 'text', text: context.serviceByIp.get(text) ?? text };
    }
    const computed = context.exports.computed.get(name);
    if (computed === 'derived-secret') {
      findings.warn(
        'derived-secret',
        `${name} is a secret Umbrel derives from its app seed; it becomes the app's generated seed \${ARCHY_APP_SEED} (64 hex characters)`,
      );
      return { kind: 'reference', name: 'ARCHY_APP_SEED' };
    }
    if (computed === 'computed') {
      findings.refuse(
        'unknown-variable',
        `${where} uses ${name}, which the app's exports.sh computes with shell code; the converter never runs that script, so the value is unknown`,
      );
      return { kind: 'refused' };
    }
    const dependency = mapDependencyVariable(name);
    if (dependency !== undefined) return this.resolveDependency(name, dependency, where, findings);
    if (name === 'EXPORTS_APP_DIR' || UMBREL_HOST_VARIABLES[name] !== undefined) {
      findings.refuse(
        'unknown-variable',
        `${where} uses ${name}, ${UMBREL_HOST_VARIABLES[name] ?? "the app's folder on the Umbrel host"}; nothing here corresponds to it`,
      );
      return { kind: 'refused' };
    }
    if (/^APP_[A-Z0-9_]+$/.test(name) && !name.startsWith(ownPrefix(context.appId))) {
      findings.refuse(
        'unknown-variable',
        `${where} uses ${name}, a variable another Umbrel app exports; Archipelago hands over only the bitcoin-node, lightning-node and electrum interfaces`,
      );
      return { kind: 'refused' };
    }
    if (/^(APP|UMBREL|DEVICE)_/.test(name)) {
      findings.refuse(
        'unknown-variable',
        `${where} uses ${name}, which neither the app's exports.sh nor umbrelOS defines as a plain value`,
      );
      return { kind: 'refused' };
    }
    // Not Umbrel's: Compose leaves it empty on Umbrel too (with a warning in its log).
    return { kind: 'unset' };
  }

  private resolveDependency(
    name: string,
    mapped: NonNullable<ReturnType<typeof mapDependencyVariable>>,
    where: string,
    findings: FindingSink,
  ): Resolution {
    const { context } = this;
    if (mapped.kind === 'tor') {
      findings.warn('tor', torDropped(where));
      return { kind: 'tor' };
    }
    if (mapped.kind === 'data-dir') {
      findings.refuse(
        'other-app-data',
        `${where} uses ${name}, the ${dependencyOf(name)} app's data folder; Archipelago hands a dependent the interface's login and files, never another app's data`,
      );
      return { kind: 'refused' };
    }
    if (mapped.kind === 'unmapped') {
      findings.refuse('unknown-variable', `${where} uses ${name}: ${mapped.why}`);
      return { kind: 'refused' };
    }
    let iface = mapped.interface;
    const listed = new Set(context.dependencies.map((id) => DEPENDENCY_INTERFACES[id]).filter(Boolean));
    // The network of an app that needs Lightning but not Bitcoin: LND's chain is the same.
    if (
      iface === 'bitcoin-node' &&
      mapped.suffix === '_CHAIN' &&
      !listed.has(iface) &&
      listed.has('lightning-node')
    )
      iface = 'lightning-node';
    if (mapped.note === 'bitcoin-p2p')
      findings.warn(
        'bitcoin-p2p',
        `${where}: ${name} (Umbrel's whitelisted P2P port for trusted apps) becomes the node's ordinary P2P port`,
      );
    return { kind: 'reference', name: `${envPrefix(iface)}${mapped.suffix}`, interface: iface };
  }
}

type FindingSink = Pick<Findings, 'warn' | 'refuse'>;

/** One warning per setting, however many Tor variables it names. */
const torDropped = (where: string): string =>
  `${where} is dropped: it names Umbrel's Tor proxy or an onion address, and Archipelago has no Tor support yet`;

/** Findings held back while a `${NAME:-default}` decides whether NAME counts. */
class Findings0 implements FindingSink {
  private readonly held: Array<(target: FindingSink) => void> = [];
  warn(...args: Parameters<Findings['warn']>): void {
    this.held.push((target) => target.warn(...args));
  }
  refuse(...args: Parameters<Findings['refuse']>): void {
    this.held.push((target) => target.refuse(...args));
  }
  replay(target: FindingSink): void {
    for (const finding of this.held) finding(target);
  }
}

/** The index of the `}` closing the `{` at `open`, nested braces counted; -1 if none. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let index = open; index < text.length; index += 1) {
    if (text[index] === '{') depth += 1;
    else if (text[index] === '}') {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  return -1;
}
