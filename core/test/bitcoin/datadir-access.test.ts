// UnshareDatadirAccess against a datadir that really belongs to a container user: the bitcoind
// TEST DOUBLE runs with a `:U` volume and umask 077, so the test user cannot read its files
// directly; the reader gets the evidence through one `podman unshare`, and the marker goes in.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UnshareDatadirAccess } from '../../src/orchestrator/datadir-access.js';
import { bitcoindDoubleImage } from '../support/bitcoind-double-images.js';
import { tempDataDir, testLabels } from '../support/index.js';
import { podman } from '../support/podman-cli.js';

const containers: string[] = [];
afterAll(async () => {
  for (const id of containers) await podman(['rm', '-f', '-t', '1', id]).catch(() => undefined);
});

describe('reading a container-owned Bitcoin datadir', () => {
  it('inspects it through podman unshare and writes the marker owned like the datadir', async () => {
    const root = tempDataDir('datadir-access');
    const datadir = join(root, 'bitcoin');
    await podman(['unshare', 'mkdir', '-p', datadir]);
    const labels = Object.entries(testLabels()).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
    const id = (
      await podman([
        'run',
        '--detach',
        ...labels,
        '--network',
        'none',
        '-v',
        `${datadir}:/data:U`,
        bitcoindDoubleImage('core', '28.4'),
        'bitcoind',
        '-datadir=/data',
        '-regtest',
        '-prune=550',
      ])
    ).trim();
    containers.push(id);
    // The double writes its banner at once; give it a moment to create blocks/ too.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expect(readFile(join(datadir, 'regtest', 'debug.log'))).rejects.toMatchObject({ code: 'EACCES' });

    const access = new UnshareDatadirAccess({ scratchDir: join(root, 'scratch') });
    const facts = await access.inspect(datadir, { network: 'regtest', args: ['-regtest', '-prune=550'] });
    expect(facts).toMatchObject({
      datadir,
      exists: true,
      network: 'regtest',
      lastBanner: { implementation: 'core', version: '28.4.0' },
      xorKey: 'non-zero',
      hasBlocks: true,
      prune: { pruned: true, setting: 550 },
    });
    // The clue's time comes along with the copy: the guard compares it with the marker's.
    const xorTime = await podman([
      'unshare',
      'stat',
      '-c',
      '%Y',
      join(datadir, 'regtest', 'blocks', 'xor.dat'),
    ]);
    expect(Math.floor(Date.parse(facts.xorKeySince!) / 1000)).toBe(Number(xorTime.trim()));
    expect(facts.lastBanner!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    await access.writeMarker(datadir, { implementation: 'core', version: '28.4', network: 'regtest' });
    const again = await access.inspect(datadir, { network: 'regtest' });
    expect(again.marker).toMatchObject({ version: '28.4', implementation: 'core' });
    const owner = await podman([
      'unshare',
      'stat',
      '-c',
      '%u:%g',
      datadir,
      join(datadir, '.archipelago-version.json'),
    ]);
    const [dirOwner, markerOwner] = owner.trim().split('\n');
    expect(markerOwner).toBe(dirOwner);

    const missing = await access.inspect(join(root, 'nothing-here'), { network: 'regtest' });
    expect(missing.exists).toBe(false);
  });
});
