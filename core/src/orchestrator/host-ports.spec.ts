import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isHostPortFree, reservedServicePorts } from './host-ports.js';
import { describePortHolder, findPortHolders, socketsOnPort } from './port-holder.js';

const boundUdp = () =>
  new Promise<ReturnType<typeof createSocket>>((resolve) => {
    const socket = createSocket('udp4');
    socket.bind({ port: 0, address: '127.0.0.1', exclusive: true }, () => resolve(socket));
  });

describe('isHostPortFree', () => {
  it('sees a UDP port another socket holds, as it sees a TCP one', async () => {
    const socket = await boundUdp();
    const { port } = socket.address();
    try {
      expect(await isHostPortFree(port, { host: '127.0.0.1', protocol: 'udp' })).toBe(false);
      // The same number over TCP is another port.
      expect(await isHostPortFree(port, { host: '127.0.0.1', protocol: 'tcp' })).toBe(true);
    } finally {
      socket.close();
    }
    expect(await isHostPortFree(port, { host: '127.0.0.1', protocol: 'udp' })).toBe(true);
  });
});

describe('who holds a port', () => {
  it('reads listening TCP and bound UDP sockets from /proc/net lines', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 4242 1',
      '   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1001        0 4343 1',
      '   2: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2',
    ].join('\n');
    expect(socketsOnPort(text, 8080, 'tcp')).toEqual([{ inode: '4242', uid: 1001 }]);
    expect(socketsOnPort(text, 53, 'udp')).toEqual([{ inode: '99', uid: 0 }]);
    expect(socketsOnPort(text, 53, 'tcp')).toEqual([]);
  });

  it('names this process as the holder of a port it bound', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const udp = await boundUdp();
    try {
      expect(await findPortHolders(port, 'tcp')).toEqual([
        expect.objectContaining({ pid: process.pid, uid: process.getuid!() }),
      ]);
      expect(await describePortHolder(udp.address().port, 'udp')).toMatch(
        new RegExp(`^process ${process.pid}`),
      );
    } finally {
      server.close();
      udp.close();
    }
  });
});

describe('reservedServicePorts', () => {
  it('reserves the ports of registries and a catalog server on this host, and only those', () => {
    const reserved = reservedServicePorts({
      registries: [
        '127.0.0.1:5000',
        'localhost:5001',
        '[::1]:5002',
        '192.168.1.5:5003',
        'registry.example:443',
        '127.0.0.1',
      ],
      catalogUrl: 'http://127.0.0.1:8088/catalog/',
      localAddresses: new Set(['192.168.1.5']),
    });
    expect(reserved.map((r) => `${r.port}/${r.protocol}`)).toEqual([
      '5000/tcp',
      '5001/tcp',
      '5002/tcp',
      '5003/tcp',
      '8088/tcp',
    ]);
    expect(reserved[0]!.owner).toBe('the image registry 127.0.0.1:5000');
    expect(reserved.at(-1)!.owner).toBe('the catalog server http://127.0.0.1:8088/catalog/');
  });
});
