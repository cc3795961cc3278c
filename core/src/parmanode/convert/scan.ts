// What a Parmanode module's files say, found by reading them as text: the containers it runs
// (`docker run`, `docker pull`, `docker build`, compose files), the release files it downloads,
// the config files it writes, the systemd units it makes and the folders it creates. Each fact
// keeps the file and line it came from, so a person can check it. Nothing here runs anything.

import { parse as parseYaml } from 'yaml';
import {
  literalAssignments,
  logicalLines,
  splitCommands,
  substitute,
  type LogicalLine,
} from './shell-text.js';

/** Where in the module a fact was read. */
export interface Where {
  file: string;
  line: number;
}

export interface PortFact extends Where {
  host: number;
  container: number;
  protocol: 'tcp' | 'udp';
  /** Published on 127.0.0.1 only. */
  local: boolean;
}
export interface VolumeFact extends Where {
  host: string;
  container: string;
  readOnly: boolean;
}
export interface ContainerRunFact extends Where {
  image: string;
  name?: string;
  ports: PortFact[];
  volumes: VolumeFact[];
  env: Record<string, string>;
  command: string[];
  user?: string;
  network?: string;
  privileged: boolean;
  capAdd: string[];
  devices: string[];
}
export interface DownloadFact extends Where {
  url: string;
  kind: 'archive' | 'signature' | 'checksums' | 'other';
}
export interface ConfigFileFact extends Where {
  path: string;
  /** `key = value` lines of what is written (values as written, variables unresolved). */
  entries: Record<string, string>;
}
export interface ServiceFact extends Where {
  execStart: string;
  user?: string;
}

export interface ModuleFacts {
  runs: ContainerRunFact[];
  pulls: (Where & { image: string })[];
  /** `docker build -t <tag>`: an image the module builds itself from a Dockerfile. */
  builds: (Where & { tag: string })[];
  downloads: DownloadFact[];
  sha256: (Where & { hash: string })[];
  configFiles: ConfigFileFact[];
  services: ServiceFact[];
  /** Folders the module creates for its data (`mkdir -p ~/.x`). */
  dataDirs: (Where & { path: string })[];
}

export interface ModuleFile {
  /** Path relative to the module directory. */
  name: string;
  text: string;
}

// docker run options that take a value (the next word, or `--opt=value`).
const VALUE_OPTIONS = new Set([
  '-p',
  '--publish',
  '-v',
  '--volume',
  '--name',
  '-e',
  '--env',
  '--env-file',
  '--network',
  '--net',
  '--restart',
  '-u',
  '--user',
  '-w',
  '--workdir',
  '--entrypoint',
  '--add-host',
  '-h',
  '--hostname',
  '-m',
  '--memory',
  '--cpus',
  '--device',
  '--cap-add',
  '--cap-drop',
  '--security-opt',
  '-l',
  '--label',
  '--log-driver',
  '--log-opt',
  '--mount',
  '--pid',
  '--ipc',
  '--ulimit',
  '--tmpfs',
  '--stop-signal',
  '--stop-timeout',
  '--platform',
  '--pull',
  '--shm-size',
  '--dns',
  '--group-add',
]);

const ARCHIVE = /\.(tar\.gz|tgz|tar\.xz|tar\.bz2|zip|deb|AppImage)$/i;
const SIGNATURE = /\.(asc|sig|gpg)$/i;
const CHECKSUMS = /(SHA256SUMS|\.sha256|sha256sum\.txt|checksums?\.txt)$/i;

export function scanModule(files: readonly ModuleFile[]): ModuleFacts {
  const facts: ModuleFacts = {
    runs: [],
    pulls: [],
    builds: [],
    downloads: [],
    sha256: [],
    configFiles: [],
    services: [],
    dataDirs: [],
  };
  const shellFiles = files.filter((f) => !isComposeFile(f.name));
  const parsed = shellFiles.map((f) => ({ file: f, lines: logicalLines(f.text) }));
  // Assignments are module-wide: Parmanode sets a version in one function and uses it in another.
  const vars = literalAssignments(parsed.flatMap((p) => p.lines));
  for (const { file, lines } of parsed) {
    for (const line of lines) scanLine(facts, file.name, line, vars);
    scanWrittenFiles(facts, file, vars);
  }
  for (const file of files.filter((f) => isComposeFile(f.name))) scanCompose(facts, file);
  return dedupe(facts);
}

const isComposeFile = (name: string): boolean => /(^|\/)(docker-)?compose[^/]*\.ya?ml$/i.test(name);

function scanLine(
  facts: ModuleFacts,
  file: string,
  { text, line }: LogicalLine,
  vars: Map<string, string>,
): void {
  const resolved = substitute(text, vars);
  for (const words of splitCommands(resolved)) {
    const argv = words[0] === 'sudo' ? words.slice(1) : words;
    if (argv[0] === 'docker' && argv[1] === 'run') {
      const run = parseDockerRun(argv.slice(2), { file, line });
      if (run) facts.runs.push(run);
    } else if (argv[0] === 'docker' && argv[1] === 'pull' && argv[2]) {
      facts.pulls.push({ image: argv.at(-1)!, file, line });
    } else if (argv[0] === 'docker' && argv[1] === 'build') {
      const tag = optionValue(argv, ['-t', '--tag']);
      if (tag) facts.builds.push({ tag, file, line });
    } else if (argv[0] === 'mkdir') {
      for (const path of argv.slice(1).filter((w) => !w.startsWith('-'))) {
        if (isDataPath(path)) facts.dataDirs.push({ path, file, line });
      }
    }
  }
  for (const url of resolved.match(/https?:\/\/[^\s"'<>()]+/g) ?? []) {
    if (!/\b(curl|wget)\b/.test(resolved)) break;
    facts.downloads.push({ url, kind: downloadKind(url), file, line });
  }
  if (/sha256|shasum/i.test(resolved)) {
    for (const hash of resolved.match(/\b[0-9a-f]{64}\b/g) ?? []) facts.sha256.push({ hash, file, line });
  }
}

/** A folder a module keeps data in: under the user's home or Parmanode's drive, not a system path. */
const isDataPath = (path: string): boolean =>
  /^~\/\.[^/]+/.test(path) || /^\$\{?(pd|parmanode_drive)\}?\//.test(path) || path.startsWith('/media/');

function downloadKind(url: string): DownloadFact['kind'] {
  if (SIGNATURE.test(url)) return 'signature';
  if (CHECKSUMS.test(url)) return 'checksums';
  if (ARCHIVE.test(url)) return 'archive';
  return 'other';
}

function optionValue(argv: readonly string[], names: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (names.includes(word)) return argv[i + 1];
    const eq = names.find((n) => n.startsWith('--') && word.startsWith(`${n}=`));
    if (eq) return word.slice(eq.length + 1);
  }
  return undefined;
}

function parseDockerRun(args: readonly string[], where: Where): ContainerRunFact | undefined {
  const run: ContainerRunFact = {
    ...where,
    image: '',
    ports: [],
    volumes: [],
    env: {},
    command: [],
    privileged: false,
    capAdd: [],
    devices: [],
  };
  let i = 0;
  for (; i < args.length; i++) {
    let word = args[i]!;
    if (!word.startsWith('-')) break;
    let value: string | undefined;
    const eq = word.indexOf('=');
    if (word.startsWith('--') && eq > 0) {
      value = word.slice(eq + 1);
      word = word.slice(0, eq);
    } else if (VALUE_OPTIONS.has(word)) value = args[++i];
    else if (word === '--privileged') run.privileged = true;
    if (value === undefined) continue;
    switch (word) {
      case '-p':
      case '--publish': {
        const port = parsePublish(value, where);
        if (port) run.ports.push(port);
        break;
      }
      case '-v':
      case '--volume': {
        const [host, container, options = ''] = value.split(':');
        if (host && container)
          run.volumes.push({ ...where, host, container, readOnly: /\bro\b/.test(options) });
        break;
      }
      case '-e':
      case '--env': {
        const at = value.indexOf('=');
        if (at > 0) run.env[value.slice(0, at)] = value.slice(at + 1);
        break;
      }
      case '--name':
        run.name = value;
        break;
      case '-u':
      case '--user':
        run.user = value;
        break;
      case '--network':
      case '--net':
        run.network = value;
        break;
      case '--cap-add':
        run.capAdd.push(value);
        break;
      case '--device':
        run.devices.push(value);
        break;
    }
  }
  const image = args[i];
  if (image === undefined || image.startsWith('$')) return image ? { ...run, image } : undefined;
  return { ...run, image, command: args.slice(i + 1) };
}

function parsePublish(value: string, where: Where): PortFact | undefined {
  const [spec, proto] = value.split('/');
  const parts = spec!.split(':');
  const container = Number(parts.at(-1));
  const host = parts.length >= 2 ? Number(parts.at(-2)) : container;
  if (!Number.isInteger(container) || !Number.isInteger(host)) return undefined;
  return {
    ...where,
    host,
    container,
    protocol: proto === 'udp' ? 'udp' : 'tcp',
    local: parts.length === 3 && /^(127\.0\.0\.1|localhost)$/.test(parts[0]!),
  };
}

// Files written whole from the script: heredocs (`cat > f <<EOF`) and Parmanode's own habit of a
// multi-line `echo "…" | sudo tee f`. Read on the raw text: their bodies span lines.
function scanWrittenFiles(facts: ModuleFacts, file: ModuleFile, vars: Map<string, string>): void {
  const raw = file.text.replace(/\r\n/g, '\n');
  const lineOf = (offset: number) => raw.slice(0, offset).split('\n').length;
  const heredoc = /^[^\n#]*<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?[^\n]*\n([\s\S]*?)\n\s*\1\s*$/gm;
  for (const match of raw.matchAll(heredoc)) {
    const head = match[0].split('\n')[0]!;
    const target = /(?:>>?|\btee\s+(?:-a\s+)?)\s*("[^"]+"|'[^']+'|[^\s<>|;]+)/.exec(
      head.replace(/<<-?\s*\S+/, ''),
    );
    if (target) addWritten(facts, file.name, lineOf(match.index), unquote(target[1]!), match[2]!, vars);
  }
  const echoTee = /\becho\s+(?:-e\s+)?"([^"]*)"\s*\|\s*(?:sudo\s+)?tee\s+(?:-a\s+)?("[^"]+"|\S+)/g;
  for (const match of raw.matchAll(echoTee)) {
    addWritten(facts, file.name, lineOf(match.index), unquote(match[2]!), match[1]!, vars);
  }
}

const unquote = (word: string): string => word.replace(/^["']|["']$/g, '');

function addWritten(
  facts: ModuleFacts,
  file: string,
  line: number,
  target: string,
  body: string,
  vars: Map<string, string>,
): void {
  const path = substitute(target, vars);
  const execStart = /^\s*ExecStart=(.+)$/m.exec(body);
  if (execStart || /\.service$/.test(path)) {
    if (execStart) {
      const user = /^\s*User=(.+)$/m.exec(body)?.[1]?.trim();
      facts.services.push({
        execStart: substitute(execStart[1]!.trim(), vars),
        ...(user ? { user } : {}),
        file,
        line,
      });
    }
    return;
  }
  const entries: Record<string, string> = {};
  for (const bodyLine of body.split('\n')) {
    const kv = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$/.exec(bodyLine);
    if (kv && !bodyLine.trim().startsWith('#')) entries[kv[1]!] = kv[2]!;
  }
  facts.configFiles.push({ path, entries, file, line });
}

function scanCompose(facts: ModuleFacts, file: ModuleFile): void {
  let doc: unknown;
  try {
    doc = parseYaml(file.text);
  } catch {
    return; // Not YAML we can read: the decisions list still says no image was found.
  }
  const services = (doc as { services?: Record<string, Record<string, unknown>> } | null)?.services ?? {};
  for (const [name, service] of Object.entries(services)) {
    if (typeof service?.image !== 'string') continue;
    const where = { file: file.name, line: lineOfKey(file.text, name) };
    const strings = (v: unknown) =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    const run: ContainerRunFact = {
      ...where,
      image: service.image,
      name,
      env: {},
      command: [],
      privileged: service.privileged === true,
      capAdd: strings(service.cap_add),
      devices: strings(service.devices),
      ports: strings(service.ports)
        .map((p) => parsePublish(p, where))
        .filter((p): p is PortFact => p !== undefined),
      volumes: strings(service.volumes).flatMap((v) => {
        const [host, container, options = ''] = v.split(':');
        return host && container ? [{ ...where, host, container, readOnly: /\bro\b/.test(options) }] : [];
      }),
      ...(typeof service.user === 'string' ? { user: service.user } : {}),
      ...(typeof service.network_mode === 'string' ? { network: service.network_mode } : {}),
    };
    facts.runs.push(run);
  }
}

const lineOfKey = (text: string, key: string): number =>
  Math.max(1, text.split('\n').findIndex((l) => l.trim() === `${key}:`) + 1);

// The same `docker run` often appears once per OS/drive branch: keep the first of each.
function dedupe(facts: ModuleFacts): ModuleFacts {
  const unique = <T>(list: T[], key: (item: T) => string): T[] => {
    const seen = new Set<string>();
    return list.filter((item) => (seen.has(key(item)) ? false : (seen.add(key(item)), true)));
  };
  return {
    runs: facts.runs,
    pulls: unique(facts.pulls, (p) => p.image),
    builds: unique(facts.builds, (b) => b.tag),
    downloads: unique(facts.downloads, (d) => d.url),
    sha256: unique(facts.sha256, (s) => s.hash),
    configFiles: unique(facts.configFiles, (c) => c.path),
    services: unique(facts.services, (s) => s.execStart),
    dataDirs: unique(facts.dataDirs, (d) => d.path),
  };
}
