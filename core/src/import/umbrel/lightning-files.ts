// A mount of LND's data folder (APP_LIGHTNING_NODE_DATA_DIR) becomes the lightning-node
// dependency's `files:`: the interface hands over exactly two files, LND's TLS certificate and
// its admin macaroon, and the daemon mounts them where the app reads them. Where that is comes
// from the app's own paths: a single-file mount names it; a mount of the whole folder keeps
// LND's layout (tls.cert, data/chain/bitcoin/<network>/admin.macaroon) unless the app's
// settings name another file in it — then the app reads more of LND than we hand over, refused.
// Paths naming the network are written for mainnet.

import type { Findings } from './findings.js';
import type { LightningMount } from './volumes.js';

export interface LightningFiles {
  tlsCert?: string;
  credential?: string;
}

const TLS_CERT = 'tls.cert';
const MACAROON = 'data/chain/bitcoin/mainnet/admin.macaroon';
const NETWORK = /\$\{?APP_BITCOIN_NETWORK\}?/g;

const onMainnet = (path: string): string => path.replace(NETWORK, 'mainnet');

/** Where file `file` (relative to LND's folder) appears in the container, if this mount holds it. */
function placed(mount: LightningMount, file: string): string | undefined {
  const sub = onMainnet(mount.sub).replace(/\/+$/, '');
  if (sub === file) return mount.target;
  if (sub === '') return `${mount.target}/${file}`;
  return file.startsWith(`${sub}/`) ? `${mount.target}/${file.slice(sub.length + 1)}` : undefined;
}

/** The LND files one service's settings name below its mount, relative to LND's folder. */
function filesNamed(mount: LightningMount, texts: readonly string[]): string[] {
  const target = onMainnet(mount.target);
  const sub = onMainnet(mount.sub).replace(/\/+$/, '');
  const named: string[] = [];
  const pattern = new RegExp(`${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/[^\\s"',;:]*)?`, 'g');
  for (const text of texts) {
    for (const match of onMainnet(text).matchAll(pattern)) {
      const rest = (match[1] ?? '').replace(/^\/+|\/+$/g, '');
      named.push([sub, rest].filter(Boolean).join('/'));
    }
  }
  return named;
}

/**
 * The dependency's files for every LND mount of the app, or undefined (refusals reported).
 * `texts(service)`: the service's env values, command and entrypoint as written.
 */
export function lightningFiles(
  mounts: ReadonlyArray<{ service: string; mount: LightningMount }>,
  texts: (service: string) => string[],
  findings: Findings,
): LightningFiles | undefined {
  const files: LightningFiles = {};
  let ok = true;
  const put = (key: keyof LightningFiles, path: string, service: string): void => {
    if (files[key] !== undefined && files[key] !== path) {
      findings.refuse(
        'unsupported',
        `service ${service} reads LND's ${key === 'tlsCert' ? TLS_CERT : 'admin.macaroon'} at ${path}, another service at ${files[key]}; a dependency's files are mounted at one path per app`,
      );
      ok = false;
    } else files[key] = path;
  };
  for (const { service, mount } of mounts) {
    const sub = onMainnet(mount.sub).replace(/\/+$/, '');
    const isFolder =
      sub === '' || (!sub.endsWith('.cert') && !sub.endsWith('.macaroon') && !sub.includes('.'));
    if (!isFolder && sub !== TLS_CERT && sub !== MACAROON) {
      findings.refuse(
        'other-app-data',
        `service ${service} mounts LND's ${sub}; the lightning-node interface hands over only its TLS certificate and admin macaroon`,
      );
      ok = false;
      continue;
    }
    if (isFolder) {
      const extra = filesNamed(mount, texts(service)).filter(
        (file) => file !== '' && file !== TLS_CERT && file !== MACAROON && !MACAROON.startsWith(`${file}/`),
      );
      if (extra.length > 0) {
        findings.refuse(
          'other-app-data',
          `service ${service} reads ${[...new Set(extra)].map((file) => `LND's ${file}`).join(', ')} from LND's folder at ${mount.target}; the lightning-node interface hands over only tls.cert and admin.macaroon`,
        );
        ok = false;
        continue;
      }
      findings.warn(
        'lightning-files',
        `service ${service} mounted LND's whole folder at ${mount.target}; here it gets only tls.cert and the admin macaroon in it, where LND keeps them (mainnet)`,
      );
    }
    const tls = placed(mount, TLS_CERT);
    const macaroon = placed(mount, MACAROON);
    if (tls === undefined && macaroon === undefined) {
      findings.refuse(
        'other-app-data',
        `service ${service} mounts LND's ${sub || 'folder'}, which holds neither tls.cert nor the admin macaroon`,
      );
      ok = false;
      continue;
    }
    if (tls !== undefined) put('tlsCert', tls, service);
    if (macaroon !== undefined) put('credential', macaroon, service);
  }
  return ok ? files : undefined;
}
