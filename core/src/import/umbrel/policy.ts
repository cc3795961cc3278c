// What a Compose service asks for that our container policy forbids, refused with the reason
// (never silently weakened), and the keys we drop or cannot express. Everything here reads the
// service's keys as written; paths are judged in volumes.ts.

import { ALLOWED_CAPABILITIES, judgeCapability, parseUserIds } from '../../security/policy/index.js';
import type { ComposeService } from './compose-file.js';
import type { Findings } from './findings.js';

// Keys mapped elsewhere (convert.ts, volumes.ts) or harmless to leave: our containers always run
// under an init, with all capabilities dropped, on their own network, named by us.
const HANDLED = new Set([
  'image',
  'environment',
  'volumes',
  'ports',
  'command',
  'entrypoint',
  'depends_on',
  'user',
  'networks',
  'container_name',
  'restart',
  'stop_grace_period',
  'healthcheck',
  'init',
  'cap_drop',
  'labels',
  'logging',
  'pull_policy',
  'expose',
  'read_only',
  'tmpfs',
  'privileged',
  'network_mode',
  'pid',
  'devices',
  'device_cgroup_rules',
  'cap_add',
  'security_opt',
  'build',
  'extra_hosts',
  'ipc',
  'userns_mode',
  'cgroup_parent',
  'volumes_from',
  'env_file',
  'working_dir',
  'sysctls',
]);

// Dropped with a warning: the app still runs, a little differently.
const DROPPED: Record<string, string> = {
  shm_size: 'its larger /dev/shm (Podman gives 64 MB)',
  ulimits: 'its raised limits (open files, processes)',
  mem_limit: 'its memory limit (add resources.memory)',
  cpu_shares: 'its CPU weight',
  deploy: 'its deploy: resource settings',
  hostname: 'its host name (the container is named by the daemon)',
  stop_signal: 'its stop signal (the daemon stops with SIGTERM)',
  tty: 'its terminal',
  stdin_open: 'its open standard input',
};

/** Refusals and warnings for one service. */
export function judgeService(service: ComposeService, findings: Findings): void {
  const where = `service ${service.name}`;
  const raw = service.raw;
  if (raw.privileged === true)
    findings.refuse(
      'privileged',
      `${where} runs privileged (every capability, every device, no confinement), as good as root on the host`,
    );
  const networkMode = typeof raw.network_mode === 'string' ? raw.network_mode.trim() : undefined;
  if (networkMode === 'host')
    findings.refuse(
      'host-network',
      `${where} uses the host's network (network_mode: host): it could reach every service listening on the host and take its ports`,
    );
  else if (networkMode !== undefined)
    findings.refuse(
      'unsupported',
      `${where} shares the network of ${networkMode}; each service here has its own`,
    );
  if (raw.pid === 'host')
    findings.refuse('host-pid', `${where} sees and can signal every process on the host (pid: host)`);
  if (raw.ipc === 'host' || raw.userns_mode === 'host')
    findings.refuse(
      'host-pid',
      `${where} shares the host's ${raw.ipc === 'host' ? 'IPC' : 'user'} namespace`,
    );
  if (raw.devices !== undefined || raw.device_cgroup_rules !== undefined)
    findings.refuse(
      'devices',
      `${where} asks for host devices (${describe(raw.devices ?? raw.device_cgroup_rules)}); apps get no host devices`,
    );
  if (raw.build !== undefined)
    findings.refuse(
      'build',
      `${where} is built from source on the device (build:); Archipelago runs only published images pinned by digest`,
    );
  if (raw.volumes_from !== undefined)
    findings.refuse(
      'shared-volume',
      `${where} mounts another container's volumes (volumes_from); services never share volumes`,
    );
  judgeImage(where, service.image, raw.build !== undefined, findings);
  judgeCapabilities(where, raw.cap_add, findings);
  judgeSecurityOptions(where, raw.security_opt, findings);
  judgeUser(where, service.user, findings);
  if (
    Array.isArray(raw.extra_hosts) &&
    raw.extra_hosts.some((entry) => String(entry).includes('host-gateway'))
  )
    findings.refuse(
      'host-network',
      `${where} reaches services on the host itself (extra_hosts: host-gateway); apps here reach only their dependencies`,
    );
  for (const key of ['env_file', 'working_dir', 'sysctls', 'cgroup_parent'] as const) {
    if (raw[key] === undefined) continue;
    const why =
      key === 'env_file'
        ? `reads its environment from ${describe(raw.env_file)}, a file umbrelOS's scripts write at start; the converter never runs them`
        : `sets ${key}, which an Archipelago manifest cannot express yet`;
    findings.refuse('unsupported', `${where} ${why}`);
  }
  if (raw.restart !== undefined)
    findings.warn('restart', `restart: policies are dropped; the daemon restarts a service that dies`);
  for (const [key, what] of Object.entries(DROPPED))
    if (raw[key] !== undefined) findings.warn('dropped', `${where}: ${what} is dropped`);
  for (const key of Object.keys(raw))
    if (!HANDLED.has(key) && DROPPED[key] === undefined && key !== 'stop_grace_period')
      findings.warn('dropped', `${where}: the Compose key ${key} is dropped`);
}

const CAPABILITY_WORDS: Record<string, string> = {
  NET_ADMIN: ' (to reconfigure the network: routes, firewall, interfaces)',
  NET_RAW: ' (raw sockets, which can spoof traffic on the shared network)',
  SYS_ADMIN: ' (mounts and most of what root may do)',
  SYS_RESOURCE: ' (to override resource limits)',
  DAC_READ_SEARCH: ' (to read any file regardless of its permissions)',
  SYS_MODULE: ' (to load kernel modules)',
};

function judgeImage(where: string, image: string | undefined, builds: boolean, findings: Findings): void {
  if (image === undefined) {
    if (!builds) findings.refuse('invalid', `${where} names no image`);
    return;
  }
  if (!/@sha256:[0-9a-f]{64}$/.test(image.trim()))
    findings.refuse(
      'no-digest',
      `${where}'s image ${image} is not pinned by digest; an app not signed by our catalog runs only images pinned by their sha256 digest, so what you reviewed is what runs`,
    );
}

function judgeCapabilities(where: string, capAdd: unknown, findings: Findings): void {
  if (!Array.isArray(capAdd)) return;
  for (const requested of capAdd) {
    const verdict = judgeCapability(String(requested), new Set());
    if (!verdict.allowed)
      findings.refuse(
        'capabilities',
        `${where} asks for the capability ${verdict.name}${CAPABILITY_WORDS[verdict.name] ?? ''}, beyond the few an app may have (${[...ALLOWED_CAPABILITIES].join(', ')})`,
      );
  }
}

function judgeSecurityOptions(where: string, options: unknown, findings: Findings): void {
  if (!Array.isArray(options)) return;
  for (const option of options.map(String)) {
    if (/^no-new-privileges(:true)?$/.test(option.trim())) continue;
    if (/unconfined|disable/.test(option))
      findings.refuse('privileged', `${where} turns off the kernel's confinement (security_opt: ${option})`);
    else
      findings.refuse(
        'unsupported',
        `${where} sets security_opt ${option}, which an Archipelago manifest cannot express`,
      );
  }
}

function judgeUser(where: string, user: string | undefined, findings: Findings): void {
  if (user === undefined) {
    findings.warn(
      'image-user',
      `${where} names no user: the image's own user is judged at install, and an image that runs as root is refused then`,
    );
    return;
  }
  const trimmed = user.trim();
  if (/^root(:|$)/.test(trimmed)) {
    findings.refuse(
      'root-user',
      `${where} runs as root (user: ${trimmed}); in rootless Podman that is the daemon's own host user, which no app may be`,
    );
    return;
  }
  const verdict = parseUserIds(trimmed, { bareUid: 'uid' });
  if (!verdict.ok && /^[0-9:]+$/.test(trimmed))
    findings.refuse('root-user', `${where} ${verdict.reason.replace(/^'[^']*' /, `(user: ${trimmed}) `)}`);
  else if (!verdict.ok)
    findings.refuse(
      'root-user',
      `${where} runs as the user '${trimmed}', a name the image resolves, which may be root; a manifest names numeric ids`,
    );
}

function describe(value: unknown): string {
  const one = (entry: unknown): string =>
    entry && typeof entry === 'object' ? String((entry as { path?: unknown }).path) : String(entry);
  return Array.isArray(value) ? value.map(one).join(', ') : one(value);
}
