import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { PortProtocol } from './port-holder.js';

/** A host port the node's own services use: no app may publish it. */
export interface ReservedPort {
  port: number;
  protocol: PortProtocol;
  /** Who uses it, for the refusal: "this daemon's API (127.0.0.1:5959)". */
  owner: string;
}

/**
 * Whether a host port can be bound right now, over TCP or UDP. Checked at install and before
 * every start, so a taken port is refused with a clear message instead of surfacing as Podman's
 * start error (or, for UDP, not at all: a second UDP bind may quietly steal the datagrams).
 */
export function isHostPortFree(
  port: number,
  where: { host: string; protocol?: PortProtocol },
): Promise<boolean> {
  return where.protocol === 'udp' ? isUdpPortFree(port, where.host) : isTcpPortFree(port, where.host);
}

function isTcpPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

function isUdpPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    // No reuseAddr: a bind that succeeds only because both sides asked to share is no proof.
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    socket.bind({ port, address: host, exclusive: true }, () => {
      socket.close(() => resolve(true));
    });
  });
}

/**
 * The ports of the services this node itself talks to on this host — the plain-HTTP registries
 * it pulls from (ARCHY_INSECURE_REGISTRIES) and its catalog server (ARCHY_CATALOG_URL) — when they
 * run here: an app publishing one would stand in for the registry or the catalog while it is down.
 * (Their content is signed, so this is about availability and confusion, not trust.) Only ports
 * written out are reserved; a registry named without one is not guessed at.
 */
export function reservedServicePorts(options: {
  registries: Iterable<string>;
  catalogUrl?: string;
  /** This host's addresses; all of its interfaces' by default. */
  localAddresses?: ReadonlySet<string>;
}): ReservedPort[] {
  const local = options.localAddresses ?? thisHostAddresses();
  const reserved: ReservedPort[] = [];
  const add = (url: URL | undefined, owner: string) => {
    if (!url || url.port === '') return;
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
    if (!loopback && !local.has(host)) return;
    reserved.push({ port: Number(url.port), protocol: 'tcp', owner });
  };
  for (const registry of options.registries)
    add(parseUrl(`http://${registry}`), `the image registry ${registry}`);
  if (options.catalogUrl) add(parseUrl(options.catalogUrl), `the catalog server ${options.catalogUrl}`);
  return reserved;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function thisHostAddresses(): Set<string> {
  const addresses = new Set<string>(['::1', '0.0.0.0', '::']);
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) addresses.add(entry.address.toLowerCase());
  }
  return addresses;
}
