import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unforwardedPorts } from './port-forwarding.js';

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );

describe('unforwardedPorts (real sockets on loopback)', () => {
  const open = createServer((socket) => socket.end());
  let openPort: number;
  let closedPort: number;
  beforeAll(async () => {
    openPort = await listen(open);
    const spare = createServer();
    closedPort = await listen(spare);
    await new Promise((resolve) => spare.close(resolve));
  });
  afterAll(() => new Promise((resolve) => open.close(resolve)));

  const tcp = (host: number) => ({
    container: 8080,
    host,
    protocol: 'tcp' as const,
    expose: 'local' as const,
  });

  it('names the published TCP ports nothing listens on, after the grace period', async () => {
    const started = Date.now();
    expect(await unforwardedPorts([tcp(openPort), tcp(closedPort)], 300)).toEqual([closedPort]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('is satisfied at once when every port listens, and ignores UDP', async () => {
    const udp = { ...tcp(closedPort), protocol: 'udp' as const };
    const started = Date.now();
    expect(await unforwardedPorts([tcp(openPort), udp], 5_000)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('waits for a forwarder that starts listening within the grace period', async () => {
    const late = createServer((socket) => socket.end());
    const port = await listen(late);
    await new Promise((resolve) => late.close(resolve));
    setTimeout(() => late.listen(port, '127.0.0.1'), 250);
    try {
      expect(await unforwardedPorts([tcp(port)], 3_000)).toEqual([]);
    } finally {
      late.close();
    }
  });
});
