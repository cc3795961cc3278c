/**
 * The subset of libpod's SpecGenerator (the body of `POST /libpod/containers/create`) that
 * Archipelago uses. libpod silently ignores fields it does not know, so a misspelt field would
 * quietly drop a security setting: this type is exact, and `assertKnownSpecFields` rejects any
 * key outside it at run time too (objects built with spreads escape TypeScript's excess-property
 * check). Field names are libpod's, including its mixed casing.
 */
export interface ContainerCreateSpec {
  name: string;
  image: string;
  command?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  labels?: Record<string, string>;
  work_dir?: string;
  hostname?: string;
  portmappings?: PortMapping[];
  mounts?: ContainerMount[];
  /** `container` with `value` = another container's id: share its network namespace (a Tor sidecar). */
  netns?: { nsmode: 'bridge' | 'none' | 'host' | 'private' | 'slirp4netns' | 'container'; value?: string };
  /** Networks to join at creation, by name, with the extra DNS names the container answers to. */
  Networks?: Record<string, { aliases?: string[] }>;
  resource_limits?: ResourceLimits;
  /** Seconds between SIGTERM and SIGKILL on stop. */
  stop_timeout?: number;
  stop_signal?: number;
  /** "uid[:gid]" or a user name from the image. */
  user?: string;
  cap_drop?: string[];
  cap_add?: string[];
  no_new_privileges?: boolean;
  read_only_filesystem?: boolean;
  /** Durations in nanoseconds. Use `Interval: 0`: these hosts have no systemd timers, the daemon probes. */
  healthconfig?: HealthConfig;
  /** Run catatonit as PID 1 so signals reach the app and zombies are reaped. */
  init?: boolean;
  secrets?: SecretMount[];
  restart_policy?: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  restart_tries?: number;
  selinux_opts?: string[];
  apparmor_profile?: string;
  seccomp_policy?: 'default' | 'image';
  seccomp_profile_path?: string;
  /** Where conmon writes the container's output (kept logs: logs/README "Kept logs"). */
  log_configuration?: LogConfiguration;
}

/**
 * conmon's log: `k8s-file` at `path` (one `<RFC 3339 nano time> <stream> <P|F> <text>` line per
 * write). Past `size` bytes conmon puts an empty file in its place: what was in the old one is
 * left only to whoever still holds it open.
 */
export interface LogConfiguration {
  driver: 'k8s-file';
  path: string;
  size?: number;
}

export interface PortMapping {
  container_port: number;
  /** 0 or absent lets Podman pick a free host port. */
  host_port?: number;
  /** Absent binds every host address; pass 127.0.0.1 to keep a port local. */
  host_ip?: string;
  protocol?: 'tcp' | 'udp';
}

/**
 * A bind mount. Put `U` in Options to have Podman chown the source to the container's user
 * (the API spelling of the CLI's `:U`); the source's group must be the rootless user's.
 */
export interface BindMount {
  Type: 'bind';
  Source: string;
  Destination: string;
  Options?: string[];
}

/** A tmpfs; Options like `size=64m`, `mode=1777`. */
export interface TmpfsMount {
  Type: 'tmpfs';
  Source: 'tmpfs';
  Destination: string;
  Options?: string[];
}

export type ContainerMount = BindMount | TmpfsMount;

export interface ResourceLimits {
  memory?: { limit?: number; reservation?: number; swap?: number };
  cpu?: { quota?: number; period?: number; shares?: number };
  pids?: { limit: number };
}

export interface HealthConfig {
  /** ["CMD", ...argv] or ["CMD-SHELL", "script"] or ["NONE"]. */
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** A Podman secret exposed as a file (default /run/secrets/<name>). */
export interface SecretMount {
  Source: string;
  Target?: string;
  UID?: number;
  GID?: number;
  Mode?: number;
}

const KNOWN_FIELDS: Record<keyof ContainerCreateSpec, true> = {
  name: true,
  image: true,
  command: true,
  entrypoint: true,
  env: true,
  labels: true,
  work_dir: true,
  hostname: true,
  portmappings: true,
  mounts: true,
  netns: true,
  Networks: true,
  resource_limits: true,
  stop_timeout: true,
  stop_signal: true,
  user: true,
  cap_drop: true,
  cap_add: true,
  no_new_privileges: true,
  read_only_filesystem: true,
  healthconfig: true,
  init: true,
  secrets: true,
  restart_policy: true,
  restart_tries: true,
  selinux_opts: true,
  apparmor_profile: true,
  seccomp_policy: true,
  seccomp_profile_path: true,
  log_configuration: true,
};

const KNOWN_MOUNT_FIELDS = new Set(['Type', 'Source', 'Destination', 'Options']);
const KNOWN_PORT_FIELDS = new Set(['container_port', 'host_port', 'host_ip', 'protocol']);

/** Throws when the spec carries a field libpod would silently drop. */
export function assertKnownSpecFields(spec: ContainerCreateSpec): void {
  const unknown: string[] = Object.keys(spec).filter((key) => !(key in KNOWN_FIELDS));
  spec.mounts?.forEach((mount, i) =>
    Object.keys(mount).forEach((key) => KNOWN_MOUNT_FIELDS.has(key) || unknown.push(`mounts[${i}].${key}`)),
  );
  spec.portmappings?.forEach((port, i) =>
    Object.keys(port).forEach(
      (key) => KNOWN_PORT_FIELDS.has(key) || unknown.push(`portmappings[${i}].${key}`),
    ),
  );
  if (unknown.length) {
    throw new TypeError(
      `container spec for '${spec.name}' has fields Podman would silently ignore: ${unknown.join(', ')}; ` +
        'add them to ContainerCreateSpec only after checking libpod accepts them',
    );
  }
}
