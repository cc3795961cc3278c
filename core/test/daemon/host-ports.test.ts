// Host ports an app may not have: the daemon's own API port and the local registry's are reserved
// (refused whatever is listening), and a UDP port another program holds is refused — at install
// and again at a start, naming who holds it — like a TCP one.

import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { freePort, registry, tempDataDir, uniqueAppId } from '../support/index.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { expectNothingLeft } from './leftovers.js';
import { writeHelloManifest } from './manifests.js';

/** A UDP port nothing holds right now (bound and released). */
async function freeUdpPort(): Promise<number> {
  const socket = await holdUdp(0);
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function holdUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind({ port, address: '0.0.0.0', exclusive: true }, () => resolve(socket));
  });
}

describe('reserved and taken host ports', () => {
  let daemon: TestDaemon;
  let dir: string;
  const held: Socket[] = [];
  beforeAll(async () => {
    dir = tempDataDir('ports');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    for (const socket of held) socket.close();
    await daemon?.stop();
  });

  /** hello, publishing 8080/tcp on `tcpPort` and, with `udpPort`, 9999/udp there too. */
  const manifest = (id: string, tcpPort: number, udpPort?: number): string => {
    const file = writeHelloManifest(dir, { id, hostPort: tcpPort });
    if (udpPort === undefined) return file;
    const yaml = readFileSync(file, 'utf8').replace(
      `    host: ${tcpPort}\n`,
      `    host: ${tcpPort}\n  - container: 9999\n    host: ${udpPort}\n    protocol: udp\n`,
    );
    writeFileSync(file, yaml);
    return file;
  };

  it("refuses a manifest publishing the daemon's own API port, and the local registry's", async () => {
    const apiPort = Number(new URL(daemon.url).port);
    const id = uniqueAppId('apiport');
    const refused = await daemon.cli(['install', manifest(id, apiPort)]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `host port ${apiPort}/tcp (ports[0].host) is reserved for this daemon's API`,
    );
    await expectNothingLeft(daemon, id);

    const registryPort = Number(registry().split(':').pop());
    const other = uniqueAppId('registryport');
    const refusedToo = await daemon.cli(['install', manifest(other, registryPort)]);
    expect(refusedToo.code).not.toBe(0);
    expect(refusedToo.stderr).toContain(`is reserved for the image registry ${registry()}`);
    await expectNothingLeft(daemon, other);
  });

  it('refuses a UDP port another program holds at install, naming the process', async () => {
    const udpPort = await freeUdpPort();
    held.push(await holdUdp(udpPort));
    const id = uniqueAppId('udptaken');
    const refused = await daemon.cli(['install', manifest(id, await freePort(), udpPort)]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `host port ${udpPort}/udp (ports[1].host) is already in use by process ${process.pid}`,
    );
    await expectNothingLeft(daemon, id);
  });

  it('checks again at a start: a UDP port taken while the app was stopped is refused, then freed it starts', async () => {
    const udpPort = await freeUdpPort();
    const id = uniqueAppId('udpstart');
    const installed = await daemon.cliJson<AppStatus>(['install', manifest(id, await freePort(), udpPort)]);
    expect(installed.state).toBe('running');
    try {
      await daemon.cliJson(['stop', id]);
      const blocker = await holdUdp(udpPort);
      try {
        const refused = await daemon.cli(['start', id]);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain(
          `host port ${udpPort}/udp (ports[1].host) is already in use by process ${process.pid}`,
        );
      } finally {
        await new Promise<void>((resolve) => blocker.close(() => resolve()));
      }
      const started = await daemon.cliJson<AppStatus>(['start', id]);
      expect(started.state).toMatch(/running|starting/);
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
  }, 120_000);
});
