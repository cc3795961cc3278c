// Who holds a host port, for the message that refuses an app's port: "in use" alone sends the
// user hunting. Linux keeps every socket in /proc/net/{tcp,tcp6,udp,udp6} with its owner's uid and
// inode; the process is the one with that inode among its open fds. A process of another user
// cannot be looked into (its fds are closed to us), so then the user is named instead.

import { readdir, readFile, readlink } from 'node:fs/promises';

export type PortProtocol = 'tcp' | 'udp';

export interface PortHolder {
  /** The owner's uid, from /proc/net. */
  uid: number;
  /** The process with the socket open, when this user may see it. */
  pid?: number;
  /** Its command name (/proc/<pid>/comm). */
  command?: string;
}

/** TCP sockets in state LISTEN (0A); for UDP any bound socket holds the port. */
const TCP_LISTEN = '0A';
/** Rootless Podman's port forwarders: the holder is then a container, not the program itself. */
const PODMAN_FORWARDERS = new Set(['rootlessport', 'rootlessport-ch', 'slirp4netns', 'pasta', 'conmon']);

/** The sockets bound to `port` (`/proc/net` lines), as (inode, uid) pairs. */
export function socketsOnPort(
  procNetText: string,
  port: number,
  protocol: PortProtocol,
): Array<{ inode: string; uid: number }> {
  const found: Array<{ inode: string; uid: number }> = [];
  for (const line of procNetText.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const localPort = parseInt(fields[1]!.split(':')[1] ?? '', 16);
    if (localPort !== port) continue;
    if (protocol === 'tcp' && fields[3] !== TCP_LISTEN) continue;
    const inode = fields[9]!;
    if (inode === '0') continue;
    found.push({ inode, uid: Number(fields[7]) });
  }
  return found;
}

/** The holders of a host port, as far as this user can see; empty when none is found. */
export async function findPortHolders(port: number, protocol: PortProtocol): Promise<PortHolder[]> {
  const sockets: Array<{ inode: string; uid: number }> = [];
  for (const family of ['', '6']) {
    const text = await readFile(`/proc/net/${protocol}${family}`, 'utf8').catch(() => '');
    sockets.push(...socketsOnPort(text, port, protocol));
  }
  if (sockets.length === 0) return [];
  const byInode = new Map(sockets.map((socket) => [`socket:[${socket.inode}]`, socket]));
  const holders = new Map<string, PortHolder>();
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const socket = byInode.get(target);
      if (!socket || holders.has(socket.inode)) continue;
      const command = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
      holders.set(socket.inode, { uid: socket.uid, pid: Number(pid), ...(command && { command }) });
    }
  }
  for (const socket of sockets)
    if (!holders.has(socket.inode)) holders.set(socket.inode, { uid: socket.uid });
  return [...holders.values()];
}

/** "process 1234 (nc)", "a rootless Podman container (port forwarder pid 99)", "a process of user 'bob'". */
export async function describePortHolder(port: number, protocol: PortProtocol): Promise<string> {
  const [holder] = await findPortHolders(port, protocol);
  if (!holder) return 'another program';
  if (holder.pid !== undefined) {
    return holder.command && PODMAN_FORWARDERS.has(holder.command)
      ? `a Podman container that is not this node's (its port forwarder ${holder.command} is pid ${holder.pid})`
      : `process ${holder.pid}${holder.command ? ` (${holder.command})` : ''}`;
  }
  return `a process of user ${await userName(holder.uid)}`;
}

async function userName(uid: number): Promise<string> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const name = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[2] === String(uid))?.[0];
  return name ? `'${name}' (uid ${uid})` : `uid ${uid}`;
}
