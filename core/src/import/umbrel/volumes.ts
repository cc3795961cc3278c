// Where a service's volumes point, judged and mapped. Only the app's own data folder comes
// over: `${APP_DATA_DIR}/x` becomes the volume named after x (APP_DATA_DIR itself: `data`), a
// Compose named volume keeps its name. A mount of LND's folder is handed to lightning-files.ts;
// anything else on the host — another app's data, Umbrel's shared storage, the Docker socket,
// devices — is refused with what it is.

import { VOLUME_NAME_PATTERN } from '../../manifest/index.js';
import type { ComposeVolume } from './compose-file.js';
import type { Findings } from './findings.js';

export interface MappedVolume {
  mount: string;
  name: string;
  readOnly: boolean;
  /** The folder on Umbrel's side, relative to APP_DATA_DIR ('' for itself), or `volume:<name>`. */
  hostKey: string;
  /**
   * The files the app ships in that folder (relative to it): they seed the volume (`seed:`),
   * copied beside the manifest by whoever writes it.
   */
  seedFiles?: string[];
}

/** A mount of (part of) LND's data folder: `sub` is the path below it, as written. */
export interface LightningMount {
  sub: string;
  target: string;
}

export interface ServiceVolumes {
  volumes: MappedVolume[];
  tmpfs: string[];
  lightning: LightningMount[];
}

/**
 * What the app folder ships at a path relative to it (Umbrel copies it into APP_DATA_DIR): a
 * file, a folder with the files below it, or nothing.
 */
export type Shipped = (relative: string) => 'file' | string[] | undefined;

const DATA_DIR = /^\$(?:\{APP_DATA_DIR\}|APP_DATA_DIR(?![A-Za-z0-9_]))(.*)$/;
const LIGHTNING_DIR =
  /^\$(?:\{APP_LIGHTNING_NODE_DATA_DIR\}|APP_LIGHTNING_NODE_DATA_DIR(?![A-Za-z0-9_]))(.*)$/;
const VARIABLE_SOURCE = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?(.*)$/;
// A clock and time zone mounted read-only from the host: harmless, and the container runs on UTC without.
const HOST_CLOCK = new Set(['/etc/localtime', '/etc/timezone']);

/** `data/postgres` → `data-postgres`: readable on the host, unique as long as the folders are. */
export function volumeNameFor(relative: string): string {
  const name = relative
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63)
    .replace(/[-.]+$/, '');
  return name === '' ? 'data' : VOLUME_NAME_PATTERN.test(name) ? name : `v-${name}`.slice(0, 63);
}

const cleanTarget = (target: string): string => (target.length > 1 ? target.replace(/\/+$/, '') : target);

export function mapVolumes(
  service: string,
  entries: readonly ComposeVolume[],
  shipped: Shipped,
  findings: Findings,
): ServiceVolumes {
  const result: ServiceVolumes = { volumes: [], tmpfs: [], lightning: [] };
  const where = `service ${service}`;
  for (const entry of entries) {
    const target = cleanTarget(entry.target);
    if (entry.type === 'tmpfs') {
      result.tmpfs.push(target);
      continue;
    }
    if (entry.type === 'other') {
      findings.refuse(
        'unsupported',
        `${where} mounts ${entry.target} with a volume type Archipelago cannot express`,
      );
      continue;
    }
    if (target.includes('$')) {
      const lightning = LIGHTNING_DIR.exec(entry.source.trim());
      if (lightning) result.lightning.push({ sub: lightning[1]!.replace(/^\//, ''), target });
      else
        findings.refuse('unknown-variable', `${where} mounts at ${entry.target}, a path named by a variable`);
      continue;
    }
    const source = entry.source.trim();
    if (entry.type === 'volume') {
      const name = volumeNameFor(source === '' ? target.slice(1) : source);
      result.volumes.push({
        mount: target,
        name,
        readOnly: entry.readOnly,
        hostKey: `volume:${source || target}`,
      });
      continue;
    }
    const data = DATA_DIR.exec(source);
    if (data) {
      const relative = data[1]!.replace(/^\/+/, '').replace(/\/+$/, '');
      if (relative.split('/').includes('..')) {
        findings.refuse('host-path', `${where} mounts ${source}, which leaves the app's own folder`);
        continue;
      }
      const kind = shipped(relative);
      if (kind === 'file') {
        // Mounting the file's folder instead would hide what the image has beside the file.
        findings.refuse(
          'app-files',
          `${where} mounts the file ${relative} that comes with the Umbrel app at ${target}; an Archipelago volume is a folder, and mounting the file's whole folder there would hide the image's own files beside it`,
        );
        continue;
      }
      const name = volumeNameFor(relative);
      const seedFiles = Array.isArray(kind) && kind.length > 0 ? kind : undefined;
      if (seedFiles) {
        const named =
          seedFiles.slice(0, 3).join(', ') + (seedFiles.length > 3 ? `, … (${seedFiles.length} files)` : '');
        findings.warn(
          'app-files',
          `${where} mounts ${relative || "the app's data folder"} at ${target}, which the Umbrel app ships with files (${named}); they are copied beside the manifest (seed/${name}) and fill the volume when an install creates it — never over data kept from an earlier install`,
        );
      }
      result.volumes.push({
        mount: target,
        name,
        readOnly: entry.readOnly,
        hostKey: relative,
        ...(seedFiles && { seedFiles }),
      });
      continue;
    }
    const lightning = LIGHTNING_DIR.exec(source);
    if (lightning) {
      result.lightning.push({ sub: lightning[1]!.replace(/^\/+/, ''), target });
      continue;
    }
    judgeHostSource(where, source, entry, findings);
  }
  return result;
}

function judgeHostSource(where: string, source: string, entry: ComposeVolume, findings: Findings): void {
  const target = entry.target;
  if (/(docker|podman|containerd)\.sock$/.test(source) || /(docker|podman|containerd)\.sock$/.test(target)) {
    findings.refuse(
      'docker-socket',
      `${where} mounts the container engine's socket (${source}); that is control of every container and of the host, which no app gets`,
    );
    return;
  }
  if (source === '/dev' || source.startsWith('/dev/')) {
    findings.refuse('devices', `${where} mounts the host device ${source}; apps get no host devices`);
    return;
  }
  if (HOST_CLOCK.has(source) && entry.readOnly) {
    findings.warn('dropped', `${where}: the host's ${source} is not mounted; the app runs on UTC`);
    return;
  }
  if (source.startsWith('./') || source.startsWith('../')) {
    findings.refuse(
      'app-files',
      `${where} mounts ${source} from the Umbrel app's folder at ${target}; files that come with an Umbrel app are not carried over`,
    );
    return;
  }
  const variable = VARIABLE_SOURCE.exec(source);
  if (variable) {
    const [, name = '', rest = ''] = variable;
    if (name === 'TOR_DATA_DIR') {
      findings.warn('tor', `${where}: Tor's data folder is not mounted; Archipelago has no Tor support yet`);
      return;
    }
    if (name === 'UMBREL_ROOT' && rest.startsWith('/app-data/')) {
      const other = rest.split('/')[2] ?? '';
      findings.refuse(
        'other-app-data',
        `${where} mounts the data of the Umbrel app ${other} (${source}); apps here never reach another app's data`,
      );
      return;
    }
    if (name === 'UMBREL_ROOT') {
      findings.refuse(
        'host-path',
        `${where} mounts ${source}, umbrelOS's shared storage on the host; apps here keep their data in their own volumes`,
      );
      return;
    }
    if (/DATA_DIR$|_PATH$|_DIR$/.test(name)) {
      findings.refuse(
        'other-app-data',
        `${where} mounts ${source}, another app's data folder; Archipelago hands a dependent the interface's login and files, never another app's data`,
      );
      return;
    }
    findings.refuse('unknown-variable', `${where} mounts ${source}, a host folder named by ${name}`);
    return;
  }
  findings.refuse(
    'host-path',
    `${where} mounts the host path ${source} at ${target}; apps here reach only their own volumes, never the host's files`,
  );
}
