import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchMetadata } from './fetch-metadata.js';

type Route = (request: IncomingMessage, response: ServerResponse) => void;
const routes: Record<string, Route> = {
  '/catalog.json': (_, response) => response.writeHead(200).end('{"version":3}'),
  '/moved': (_, response) => response.writeHead(302, { location: '/catalog.json' }).end(),
  '/loop': (_, response) => response.writeHead(302, { location: '/loop' }).end(),
  ...Object.fromEntries(
    Array.from({ length: 9 }, (_, i): [string, Route] => [
      `/hop/${i + 1}`,
      (_request, response) => response.writeHead(301, { location: `/hop/${i + 2}` }).end(),
    ]),
  ),
  '/big': (_, response) => response.writeHead(200).end(`"${'x'.repeat(2048)}"`),
  '/garbage': (_, response) => response.writeHead(200).end('<html>'),
  '/broken': (_, response) => response.writeHead(500).end(),
  '/slow': () => undefined, // never answers
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const route = routes[request.url ?? ''];
    if (route) route(request, response);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const options = { timeoutMs: 2000, maxBytes: 1024, missingOk: false };

describe('fetchMetadata', () => {
  it('reads a JSON file, following redirects', async () => {
    expect(await fetchMetadata(`${base}/catalog.json`, options)).toEqual({ version: 3 });
    expect(await fetchMetadata(`${base}/moved`, options)).toEqual({ version: 3 });
  });

  it('answers undefined for a missing file only when that is expected', async () => {
    expect(await fetchMetadata(`${base}/2.root.json`, { ...options, missingOk: true })).toBeUndefined();
    await expect(fetchMetadata(`${base}/2.root.json`, options)).rejects.toThrow(/answered HTTP 404/);
    await expect(fetchMetadata(`${base}/broken`, { ...options, missingOk: true })).rejects.toThrow(
      /answered HTTP 500/,
    );
  });

  it('refuses a redirect loop, an oversized file and a file that is not JSON', async () => {
    await expect(fetchMetadata(`${base}/loop`, options)).rejects.toThrow(
      `${base}/loop redirects in a loop: ${base}/loop → ${base}/loop`,
    );
    await expect(fetchMetadata(`${base}/hop/1`, options)).rejects.toThrow(
      new RegExp(`^${base}/hop/1 redirects more than 5 times \\(${base}/hop/1 → ${base}/hop/2 → `),
    );
    await expect(fetchMetadata(`${base}/big`, options)).rejects.toThrow(/larger than 1024 bytes/);
    await expect(fetchMetadata(`${base}/garbage`, options)).rejects.toThrow(/is not JSON/);
  });

  it('gives up on a server that does not answer', async () => {
    await expect(fetchMetadata(`${base}/slow`, { ...options, timeoutMs: 200 })).rejects.toThrow(
      /did not answer within 200 ms/,
    );
  });
});
