// Container paths an app may not mount over. The schema already keeps paths absolute and free
// of `..`; these rules are about *where* they point.

// The kernel's own filesystems: a mount over them hides the read-only and masked paths Podman
// sets up there (/proc/sys, /proc/kcore, /sys/firmware ...), and no app stores data in them.
const KERNEL_ROOTS = ['/proc', '/sys', '/dev'];

// Where container engines put their API sockets. A volume's host side is always the app's own
// data dir, so no socket appears there by itself — but a manifest mounting one of these is
// asking for control of a container engine (Portainer, Watchtower and friends), which is
// control of the host, and a user following such an app's docs might link the real socket into
// the data dir. Refused by intent, not only by effect.
const ENGINE_SOCKET_DIRS = [
  '/run/podman',
  '/var/run/podman',
  '/run/docker',
  '/var/run/docker',
  '/run/containerd',
  '/var/run/containerd',
  '/run/crio',
  '/var/run/crio',
  '/run/user',
];
const ENGINE_SOCKET_FILE = /^(docker|podman|containerd|crio|cri-dockerd|dockershim|buildkitd?)\.sock$/;

const isAtOrBelow = (path: string, root: string): boolean => path === root || path.startsWith(`${root}/`);

/** Why a volume or tmpfs may not be mounted at `path` (absolute, normalized), if it may not. */
export function kernelPathRefusal(path: string): string | undefined {
  const kernelRoot = KERNEL_ROOTS.find((root) => isAtOrBelow(path, root));
  if (kernelRoot === undefined) return undefined;
  return `'${path}' is inside the kernel's ${kernelRoot}; apps cannot mount over it — store data in a folder such as /data`;
}

/** Why a volume may not be mounted at `path`: a container engine's socket would be reachable there. */
export function engineSocketRefusal(path: string): string | undefined {
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (!ENGINE_SOCKET_DIRS.some((dir) => isAtOrBelow(path, dir)) && !ENGINE_SOCKET_FILE.test(last)) {
    return undefined;
  }
  return `'${path}' is where a container engine's socket lives; apps are never given control of Podman or Docker`;
}

/**
 * Container paths the daemon writes into generated AppArmor rules and mount options, where
 * `*`, `{`, `@`, `,` or a space would change their meaning. Ordinary paths (/data,
 * /home/bitcoin/.bitcoin, /var/lib/app_v2) all fit.
 */
export const PLAIN_CONTAINER_PATH = /^(\/[A-Za-z0-9._+-]+)+$/;

/** Why `path` is not a plain container path, if it is not. */
export function unusualPathRefusal(path: string): string | undefined {
  if (PLAIN_CONTAINER_PATH.test(path)) return undefined;
  return `'${path}' has characters other than letters, digits, '.', '_', '+', '-' and '/'; rename the folder`;
}
