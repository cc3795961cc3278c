// From the facts a module's text gave to a manifest skeleton and the list of what a person must
// decide. The skeleton is written as YAML text, not built as an object and dumped: it carries
// `# DECIDE:` comments beside the keys they are about, which a YAML library would not place.
// Whatever it states comes from the module (file:line in a comment); what it could not know is
// left out of the keys and named in `decisions`, never guessed into a value.

import { basename } from 'node:path';
import { parseImageReference, VOLUME_NAME_PATTERN } from '../../manifest/index.js';
import type { ContainerRunFact, ModuleFacts, PortFact, VolumeFact, Where } from './scan.js';

export interface Decision {
  /** What the decision is about: a manifest key (`image`, `ports`, `volumes.<name>`) or a topic. */
  key: string;
  why: string;
}

export interface Skeleton {
  id: string;
  manifestYaml: string;
  decisions: Decision[];
}

const at = (w: Where): string => `${w.file}:${w.line}`;
const yamlString = (s: string): string => JSON.stringify(s);

/** An app id from the module's folder name (`src/fulcrum` → `fulcrum`). */
export function appIdFor(moduleDir: string): string {
  const id = basename(moduleDir.replace(/\/+$/, ''))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return id === '' ? 'parmanode-app' : id;
}

export function buildSkeleton(moduleDir: string, facts: ModuleFacts): Skeleton {
  const id = appIdFor(moduleDir);
  const decisions: Decision[] = [];
  const decide = (key: string, why: string) => decisions.push({ key, why });
  const out: string[] = [
    `# Manifest skeleton made by \`archy parmanode convert\` from the Parmanode module ${id}.`,
    '# It read the module\'s files as text and ran none of them. Each "# DECIDE:" needs a person;',
    '# `--json` lists them as decisions. Comments give the file:line each value was read from.',
    `id: ${id}`,
    `name: ${yamlString(id)}`,
  ];

  const runs = mainRuns(facts);
  const main = runs[0];
  const image = main?.image ?? facts.pulls[0]?.image;
  const version = versionFrom(id, image, facts);
  if (version) out.push(`version: ${yamlString(version.value)}   # from ${version.from}`);
  else {
    out.push('version: "0.0.0"   # DECIDE: the module names no version');
    decide(
      'version',
      'the module names no version (no image tag, no versioned download); set the upstream version it installs',
    );
  }

  // Marks the app as imported: installing it needs the user's confirmation (not catalog-signed).
  out.push(
    `origin: { kind: parmanode, app: ${yamlString(id)}, upstreamVersion: ${yamlString(version?.value ?? 'unknown')} }`,
  );
  writeImage(out, decide, facts, image, main);
  const extraImages = [...new Set(facts.runs.map((r) => r.image))].filter((i) => i !== image);
  if (extraImages.length > 0)
    decide(
      'services',
      `the module also runs ${extraImages.join(', ')}; add each as a service under services: (or leave it out)`,
    );

  if (main) writeContainer(out, decide, main, runs);
  else writeHostInstall(out, decide, facts, id);

  // A bare `$var` target is one of Parmanode's own files (parmanode.conf, torrc, …) or unknown
  // until run time, and a log is no config: they stay in found, without a decision.
  for (const config of facts.configFiles.filter(
    (c) => !/^\$\{?\w+\}?$/.test(c.path) && !/\.log$/.test(c.path),
  )) {
    const keys = Object.keys(config.entries);
    decide(
      `config:${config.path}`,
      `the module writes ${config.path} (${at(config)}${keys.length ? `; keys ${keys.join(', ')}` : ''}); an app's config belongs in its image, command or env — write it there, with the node's values`,
    );
  }
  if (needsBitcoinNode(facts)) {
    out.push('dependencies:   # DECIDE: check; the module talks to bitcoind (RPC port 8332 / rpcuser)');
    out.push('  - id: bitcoin-node');
    decide(
      'dependencies',
      'the module connects to bitcoind; with a bitcoin-node dependency use ${ARCHY_DEP_BITCOIN_NODE_HOST}, _RPC_PORT, _RPC_USER and _RPC_PASSWORD instead of 127.0.0.1:8332 and the rpcuser/rpcpassword of bitcoin.conf',
    );
  }
  out.push('# DECIDE: health — the module has no health check; add health: { tcp: { port } } or http:');
  decide('health', 'the module has no health check; add health: with the port the app answers on');
  return { id, manifestYaml: `${out.join('\n')}\n`, decisions };
}

/** The `docker run`s of the module's first image (one per OS or drive branch, usually). */
function mainRuns(facts: ModuleFacts): ContainerRunFact[] {
  const first = facts.runs[0];
  return first ? facts.runs.filter((r) => r.image === first.image) : [];
}

function versionFrom(
  id: string,
  image: string | undefined,
  facts: ModuleFacts,
): { value: string; from: string } | undefined {
  const tag = image === undefined ? undefined : parseImageReference(image);
  if (tag?.ok && tag.value.tag) {
    const match = /^v?(\d+\.\d+(?:\.\d+)?(?:[-+.][0-9A-Za-z.-]+)?)$/.exec(tag.value.tag);
    if (match) return { value: match[1]!, from: `the image tag ${tag.value.tag}` };
  }
  // Only an archive named after the app: a module also downloads its tools (a .deb of a runtime…).
  const own = (url: string) => basename(url).toLowerCase().includes(id.toLowerCase());
  for (const download of facts.downloads.filter((d) => d.kind === 'archive' && own(d.url))) {
    const match =
      /\/v?(\d+\.\d+(?:\.\d+)?)\//.exec(download.url) ??
      /[-_]v?(\d+\.\d+(?:\.\d+)?)[-_.]/.exec(basename(download.url));
    if (match) return { value: match[1]!, from: `the download ${basename(download.url)} (${at(download)})` };
  }
  return undefined;
}

type Decide = (key: string, why: string) => void;

function writeImage(
  out: string[],
  decide: Decide,
  facts: ModuleFacts,
  image: string | undefined,
  main: ContainerRunFact | undefined,
): void {
  if (image === undefined) {
    out.push('# DECIDE: image — the module installs a release download on the host, not a container image:');
    out.push('# image: <registry>/<name>:<version>@sha256:<digest>');
    decide(
      'image',
      'the module installs a release download on the host, not a container image; build an image from that release (listed in the found.downloads of --json) and publish it, pinned by digest',
    );
    return;
  }
  const where = main ?? facts.pulls.find((p) => p.image === image);
  const built = facts.builds.find((b) => b.tag === image || b.tag.split(':')[0] === image.split(':')[0]);
  const ref = parseImageReference(image);
  if (built) {
    out.push(`image: ${yamlString(image)}   # DECIDE: built by the module from a Dockerfile (${at(built)})`);
    decide(
      'image',
      `the module builds ${image} itself (docker build, ${at(built)}); Archipelago runs images from a registry: build it from a recipe you trust, publish it and pin it by digest`,
    );
  } else if (!ref.ok) {
    out.push(`# image: ${yamlString(image)}   # DECIDE: ${ref.reason}`);
    decide(
      'image',
      `the module runs ${image} (${where ? at(where) : 'unknown line'}), which is not a usable reference: ${ref.reason}`,
    );
  } else if (!ref.value.digest) {
    out.push(
      `image: ${yamlString(image)}   # DECIDE: pin by digest (read from ${where ? at(where) : 'a pull'})`,
    );
    decide(
      'image.digest',
      `${image} is not pinned by digest; look up the digest of the image you mean and write it as ${image}@sha256:…`,
    );
  } else out.push(`image: ${yamlString(image)}   # from ${where ? at(where) : 'a pull'}`);
}

function writeContainer(
  out: string[],
  decide: Decide,
  main: ContainerRunFact,
  runs: ContainerRunFact[],
): void {
  if (main.command.length > 0) out.push(`command: ${JSON.stringify(main.command)}   # from ${at(main)}`);
  const env = Object.entries(main.env);
  if (env.length > 0) {
    out.push('env:');
    for (const [k, v] of env)
      out.push(
        `  ${k}: ${yamlString(v)}${v.includes('$') ? '   # DECIDE: a shell variable of the module' : ''}`,
      );
    if (env.some(([, v]) => v.includes('$')))
      decide(
        'env',
        "some env values are the module's shell variables; write the values (or ${ARCHY_…} references)",
      );
  }
  const ports = uniquePorts(runs.flatMap((r) => r.ports));
  if (ports.length > 0) {
    out.push('ports:');
    for (const p of ports) {
      out.push(`  - container: ${p.container}   # from ${at(p)}`, `    host: ${p.host}`);
      if (p.protocol === 'udp') out.push('    protocol: udp');
      if (p.local) out.push('    expose: local');
    }
  }
  const hostNetwork = runs.find((r) => r.network === 'host');
  if (hostNetwork)
    decide(
      'network',
      `the module runs the container on the host's network (--network host, ${at(hostNetwork)}); an Archipelago app has its own network and publishes ports: check ports: lists every port a client needs`,
    );
  else if (ports.length === 0)
    decide('ports', 'the module publishes no port; add ports: for what clients reach');
  const volumes = uniqueVolumes(runs.flatMap((r) => r.volumes));
  const kept = volumes.filter((v) => !refusedHostPath(v.host));
  if (kept.length > 0) {
    out.push('volumes:');
    const names = new Set<string>();
    for (const v of kept) {
      const name = uniqueName(volumeName(v.host, v.container), names);
      out.push(
        `  - mount: ${yamlString(v.container)}   # Parmanode kept it at ${v.host} (${at(v)})`,
        `    name: ${name}`,
      );
      if (v.readOnly) out.push('    readOnly: true');
      decide(
        `volumes.${name}`,
        `Parmanode kept ${v.container} at ${v.host}; a new volume starts empty: copy the data in, or adopt it in place (archy parmanode adopt)`,
      );
    }
  }
  for (const v of volumes.filter((x) => refusedHostPath(x.host)))
    decide(
      'volumes',
      `the module mounts ${v.host} at ${v.container} (${at(v)}); an app may not see host paths outside its own data — drop it`,
    );
  if (main.user) {
    out.push(
      'security:',
      `  user: ${yamlString(main.user)}   # from ${at(main)}; DECIDE: must be a non-root uid:gid`,
    );
    decide('user', `the module runs it as ${main.user}; our policy needs a numeric non-root uid:gid`);
  } else
    decide(
      'user',
      "the module sets no user: the image's own user is judged at install (root is refused); set security.user to a non-root uid:gid if needed",
    );
  if (runs.some((r) => r.privileged || r.capAdd.length > 0 || r.devices.length > 0))
    decide(
      'security',
      'the module gives the container --privileged, added capabilities or devices; Archipelago refuses these: find out what the app needs them for',
    );
}

function writeHostInstall(out: string[], decide: Decide, facts: ModuleFacts, id: string): void {
  const archives = facts.downloads.filter((d) => d.kind === 'archive');
  const signatures = facts.downloads.filter((d) => d.kind === 'signature');
  const sums = facts.downloads.filter((d) => d.kind === 'checksums');
  if (archives.length > 0) {
    out.push('# The module downloads (build the image from one of these):');
    for (const d of facts.downloads) out.push(`#   ${d.kind}: ${d.url}   (${at(d)})`);
    for (const s of facts.sha256) out.push(`#   sha256 ${s.hash}   (${at(s)})`);
  }
  if (archives.length > 0 && signatures.length === 0 && sums.length === 0 && facts.sha256.length === 0)
    decide(
      'release.verify',
      "the module downloads the release with no signature or checksum; find upstream's signed checksums before trusting it",
    );
  else if (archives.length > 0 && signatures.length > 0)
    decide(
      'release.verify',
      `the module checks a signature (${signatures.map((s) => basename(s.url)).join(', ')}); pin the signer's key fingerprint when you build the image`,
    );
  const service = facts.services[0];
  if (service) {
    const argv = service.execStart.split(/\s+/);
    out.push(
      `command: ${JSON.stringify(argv)}   # DECIDE: ExecStart of the module's systemd unit (${at(service)}); paths are the host's`,
    );
    decide(
      'command',
      `the module starts it with systemd: ExecStart=${service.execStart}; map the binary and its config path into the image`,
    );
    if (service.user)
      decide(
        'user',
        `the systemd unit runs it as ${service.user} (the Parmanode user); set security.user to the image's non-root uid:gid`,
      );
  } else
    decide(
      'command',
      'the module starts nothing the converter could read (no systemd ExecStart); write command:',
    );
  const ports = listenPorts(facts);
  if (ports.length > 0) {
    out.push('ports:   # DECIDE: read from the listen addresses of the config the module writes');
    for (const p of ports)
      out.push(`  - container: ${p.port}   # ${p.key} (${p.where})`, `    host: ${p.port}`);
    decide(
      'ports',
      `the ports are the config's listen addresses (${ports.map((p) => `${p.key}=${p.port}`).join(', ')}); check which a client needs`,
    );
  } else decide('ports', 'the module publishes no port the converter could read; add ports:');
  const dirs = facts.dataDirs;
  if (dirs.length > 0) {
    out.push('volumes:');
    const names = new Set<string>();
    for (const d of dirs) {
      const name = uniqueName(volumeName(d.path, id), names);
      out.push(
        `  - mount: ${yamlString(`/data/${name}`)}   # Parmanode: ${d.path} (${at(d)})`,
        `    name: ${name}`,
      );
      decide(
        `volumes.${name}`,
        `Parmanode keeps ${d.path} on the host; mount it where the app's command expects it, copy or adopt the data`,
      );
    }
  } else decide('volumes', 'the module creates no data folder the converter could read; add volumes:');
}

function listenPorts(facts: ModuleFacts): { port: number; key: string; where: string }[] {
  const found: { port: number; key: string; where: string }[] = [];
  // A bare `$var` target is one of Parmanode's own files (parmanode.conf, torrc, …) or unknown
  // until run time, and a log is no config: they stay in found, without a decision.
  for (const config of facts.configFiles.filter(
    (c) => !/^\$\{?\w+\}?$/.test(c.path) && !/\.log$/.test(c.path),
  )) {
    for (const [key, value] of Object.entries(config.entries)) {
      const match = /^(?:0\.0\.0\.0|\*|\[::\]|::):(\d{1,5})$/.exec(value);
      if (match && !found.some((f) => f.port === Number(match[1])))
        found.push({ port: Number(match[1]), key, where: at(config) });
    }
  }
  return found;
}

const needsBitcoinNode = (facts: ModuleFacts): boolean =>
  facts.configFiles.some((c) =>
    Object.entries(c.entries).some(
      ([k, v]) => /rpcuser|rpcpass|bitcoind|daemon_rpc/i.test(k) || /:8332\b/.test(v),
    ),
  ) ||
  facts.runs.some(
    (r) => Object.values(r.env).some((v) => /:8332\b/.test(v)) || r.command.some((c) => /:8332\b/.test(c)),
  );

const uniquePorts = (ports: PortFact[]): PortFact[] =>
  ports.filter((p, i) => ports.findIndex((q) => q.host === p.host && q.protocol === p.protocol) === i);
const uniqueVolumes = (volumes: VolumeFact[]): VolumeFact[] =>
  volumes.filter((v, i) => volumes.findIndex((w) => w.container === v.container) === i);

/** Host paths no app may mount: sockets, devices, system folders (its own data is a volume). */
const refusedHostPath = (host: string): boolean =>
  /docker\.sock|^\/(var\/run|run|dev|proc|sys|etc)(\/|$)/.test(host) || host === '/';

function volumeName(hostPath: string, fallback: string): string {
  const name = basename(hostPath)
    .toLowerCase()
    .replace(/^\.+/, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/_/g, '-')
    .slice(0, 63);
  if (VOLUME_NAME_PATTERN.test(name)) return name;
  const other = basename(fallback)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '');
  return VOLUME_NAME_PATTERN.test(other) ? other : 'data';
}

function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) candidate = `${name}-${n}`;
  taken.add(candidate);
  return candidate;
}
