import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ArchyError } from '../kernel/index.js';
import { RpcErrorCode } from './contract.js';

export interface ListenAddress {
  host: string;
  port: number;
}

const EXAMPLES = "e.g. '127.0.0.1:5959', '0.0.0.0:5959' or '[::1]:5959'";

/** Parses `host:port`, with IPv6 hosts in brackets (`[::1]:5959`). Port 0 picks a free port. */
export function parseListenAddress(text: string): ListenAddress {
  const refuse = (why: string) =>
    new ArchyError(RpcErrorCode.InvalidParams, `invalid listen address '${text}': ${why}; ${EXAMPLES}`);
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:[\]]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  if (!match) {
    if (/^\d+$/.test(text)) throw refuse('give a host too');
    if (!bracketed && (text.match(/:/g) ?? []).length > 1) throw refuse('put an IPv6 host in brackets');
    throw refuse('expected HOST:PORT');
  }
  const host = match[1]!;
  if (bracketed && isIP(host) !== 6) throw refuse(`'${host}' is not an IPv6 address`);
  const port = Number(match[2]);
  if (!Number.isSafeInteger(port) || port > 65535) throw refuse('the port must be 0-65535');
  return { host, port };
}

/** The http:// URL clients use to reach `address` (brackets for IPv6, as URLs require). */
export function urlForAddress({ host, port }: ListenAddress): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/**
 * Starts `server` listening on `address` (`host:port`) and returns the URL it can be reached at,
 * with the real port when port 0 was asked for — the URL the daemon records in run/daemon.json.
 */
export async function listen(server: FastifyInstance, address: string): Promise<string> {
  const { host, port } = parseListenAddress(address);
  try {
    await server.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'the address is in use; is another daemon running? pick another with --listen'
        : code === 'EADDRNOTAVAIL'
          ? 'no network interface has that address'
          : code === 'EACCES'
            ? 'permission denied; use a port above 1023'
            : (error as Error).message;
    throw new ArchyError(RpcErrorCode.InternalError, `cannot listen on ${address}: ${why}`, { cause: error });
  }
  const bound = server.server.address();
  const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
  return urlForAddress({ host, port: boundPort });
}
