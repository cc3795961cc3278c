// A container that plants symlinks in its own datadir — and swaps them while the daemon looks —
// must not make the daemon read, write, chown or chmod anything outside that datadir, though the
// daemon reaches the datadir as root of the rootless user namespace (UnshareDatadirAccess,
// removeAppTree). Two canaries stand for what a link would reach:
//   - secrets/.master-key: the daemon's own 0600 file (root of the namespace could write it);
//   - app-b's data: another app's files, owned by the same container uid (1000) as app-a's, which
//     the helper becomes — so only "never follow a link" protects these, not the dropped privilege.
// Their folders are world-traversable, so that nothing but those two protections stands between.

import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAppTree } from '../../src/orchestrator/app-data-removal.js';
import { UnshareDatadirAccess } from '../../src/orchestrator/datadir-access.js';
import { bitcoindDoubleImage } from '../support/bitcoind-double-images.js';
import { testLabels, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';

const MARKER = '.archipelago-version.json';
const containers: string[] = [];
let base: string;
let appA: string;
let volA: string;
let volB: string;
let masterKey: string;
const masterKeyText = randomBytes(16).toString('hex');
const image = (): string => bitcoindDoubleImage('core', '28.4');
const labels = (): string[] => Object.entries(testLabels()).flatMap(([k, v]) => ['--label', `${k}=${v}`]);

/** Runs busybox `script` in a container of the test image with `volume` at /data, as uid 1000. */
async function inContainer(
  volume: string,
  script: string,
  options: { detach?: boolean } = {},
): Promise<string> {
  const out = await podman([
    'run',
    ...(options.detach ? ['--detach'] : ['--rm']),
    ...labels(),
    '--network',
    'none',
    '--cap-drop',
    'all',
    '--user',
    '1000:1000',
    '-v',
    `${volume}:/data:U`,
    '--entrypoint',
    '/bin/busybox',
    image(),
    'sh',
    '-c',
    script,
  ]);
  if (options.detach) containers.push(out.trim());
  return out;
}

/** Content digest, owner and mode of app-b's files and of the master key: nothing may change them. */
async function canaries(): Promise<string> {
  const files = ['wallet.dat', 'regtest/debug.log', 'regtest/blocks/xor.dat'].map((f) => join(volB, f));
  const b = await podman([
    'unshare',
    'sh',
    '-c',
    'stat -c "%n %u:%g %a %s" "$@" && sha256sum "$@"',
    'sh',
    ...files,
  ]);
  const key = statSync(masterKey);
  return `${b}\n${masterKey} ${key.uid}:${key.gid} ${(key.mode & 0o777).toString(8)} ${readFileSync(masterKey, 'utf8')}`;
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'archy-test-nofollow-'));
  appA = join(base, 'app-a');
  volA = join(appA, 'bitcoin');
  volB = join(base, 'app-b', 'data');
  for (const dir of [volA, volB, join(base, 'secrets')]) mkdirSync(dir, { recursive: true });
  for (const dir of [base, appA, join(base, 'app-b'), join(base, 'secrets')]) chmodSync(dir, 0o755);
  masterKey = join(base, 'secrets', '.master-key');
  writeFileSync(masterKey, masterKeyText, { mode: 0o600 });
  // app-b: a newer node's evidence (a non-zero XOR key, a 29.3 banner) and a wallet, as uid 1000.
  await inContainer(
    volB,
    'mkdir -p /data/regtest/blocks && printf "\\1\\2\\3\\4\\5\\6\\7\\10" > /data/regtest/blocks/xor.dat && ' +
      'echo "2025-01-01T00:00:00Z Bitcoin Core version v29.3.0" > /data/regtest/debug.log && ' +
      'echo WALLET > /data/wallet.dat && chmod 600 /data/wallet.dat /data/regtest/debug.log /data/regtest/blocks/xor.dat',
  );
}, 120_000);

afterAll(async () => {
  for (const id of containers) await podman(['rm', '-f', '-t', '0', id]).catch(() => undefined);
  if (base) await podman(['unshare', 'rm', '-rf', '--', base]);
});

const access = (): UnshareDatadirAccess => new UnshareDatadirAccess({ scratchDir: join(base, 'scratch') });
const entry = { implementation: 'core' as const, version: '28.4', network: 'regtest' as const };

describe("links planted in an app's datadir", () => {
  it('are replaced, refused or removed — never followed', async () => {
    const before = await canaries();
    // The example (relative, to the master key) and an absolute link to another app's wallet.
    await inContainer(
      volA,
      'cd /data && mkdir -p regtest/blocks && head -c 8 /dev/zero > regtest/blocks/xor.dat && ' +
        'echo "2025-01-02T00:00:00Z Bitcoin Core version v28.4.0" > regtest/debug.log && ' +
        `ln -s ../../secrets/.master-key ..${MARKER}.tmp && ln -s ${volB}/wallet.dat ${MARKER}`,
    );
    await access().writeMarker(volA, entry);
    const facts = await access().inspect(volA, { network: 'regtest' });
    expect(facts).toMatchObject({
      marker: { version: '28.4' },
      xorKey: 'zero',
      lastBanner: { version: '28.4.0' },
    });
    const owners = await podman(['unshare', 'stat', '-c', '%u:%g %a %F', volA, join(volA, MARKER)]);
    const [dirOwner, marker] = owners.trim().split('\n');
    expect(marker).toBe(`${dirOwner!.split(' ')[0]} 644 regular file`);
    expect(await canaries()).toBe(before);

    // Evidence behind links: a file (relative), a folder (absolute), a network folder (relative).
    const fresh =
      'rm -rf regtest && mkdir -p regtest/blocks && head -c 8 /dev/zero > regtest/blocks/xor.dat && ' +
      'echo "2025-01-02T00:00:00Z Bitcoin Core version v28.4.0" > regtest/debug.log';
    const cases: [string, string][] = [
      [
        'rm regtest/debug.log && ln -s ../../../app-b/data/regtest/debug.log regtest/debug.log',
        'regtest/debug.log',
      ],
      [`rm -r regtest/blocks && ln -s ${volB}/regtest/blocks regtest/blocks`, 'regtest/blocks'],
      ['rm -r regtest && ln -s ../../app-b/data/regtest regtest', 'regtest'],
    ];
    for (const [plant, path] of cases) {
      await inContainer(volA, `cd /data && ${fresh} && ${plant}`);
      await expect(access().inspect(volA, { network: 'regtest' })).rejects.toThrow(
        `${join(volA, path)} is a symbolic link; the daemon never follows links`,
      );
      expect(await canaries()).toBe(before);
    }

    // A link at the marker itself is no evidence: it reads as a marker problem, and the next write replaces it.
    await inContainer(
      volA,
      `cd /data && rm -f regtest && mkdir regtest && rm ${MARKER} && ln -s ${masterKey} ${MARKER}`,
    );
    expect((await access().inspect(volA, { network: 'regtest' })).markerProblem).toMatch(
      /is a symbolic link/,
    );
    await access().writeMarker(volA, entry);
    expect((await access().inspect(volA, { network: 'regtest' })).marker).toMatchObject({ version: '28.4' });

    // Purge: the links go, what they point to stays.
    await inContainer(
      volA,
      `cd /data && ln -s ${volB} whole-b && ln -s ../../secrets secrets && ln -s / root`,
    );
    await removeAppTree(appA);
    expect(() => lstatSync(appA)).toThrow(/ENOENT/);
    expect(await canaries()).toBe(before);
  });
});

describe('links swapped in while the daemon writes the marker and reads the evidence', () => {
  it('never reach the canaries; each call does the right thing or refuses clearly', async () => {
    mkdirSync(volA, { recursive: true });
    chmodSync(appA, 0o755);
    const before = await canaries();
    const b = volB;
    await inContainer(
      volA,
      [
        `cd /data && rm -rf regtest blocks.real ..${MARKER}.tmp ${MARKER} && mkdir -p regtest/blocks && head -c 8 /dev/zero > zero.dat`,
        'echo "2025-01-02T00:00:00Z Bitcoin Core version v28.4.0" > real.log',
        'cp zero.dat regtest/blocks/xor.dat && cp real.log regtest/debug.log && echo looping',
        'while :; do',
        `  ln -sf ../../secrets/.master-key ..${MARKER}.tmp; ln -sf ${b}/wallet.dat ${MARKER}`,
        `  ln -sf ${b}/regtest/blocks/xor.dat regtest/blocks/xor.dat; ln -sf ../../../app-b/data/regtest/debug.log regtest/debug.log`,
        '  cp zero.dat regtest/blocks/x.n; mv -f regtest/blocks/x.n regtest/blocks/xor.dat',
        '  cp real.log regtest/d.n; mv -f regtest/d.n regtest/debug.log',
        `  rm -f ..${MARKER}.tmp ${MARKER}`,
        `  mv regtest/blocks blocks.real && ln -s ${b}/regtest/blocks regtest/blocks; rm -f regtest/blocks; mv blocks.real regtest/blocks`,
        'done',
      ].join('\n'),
      { detach: true },
    );
    const racer = containers.at(-1)!;
    await waitFor(async () => (await podman(['logs', racer])).includes('looping'), {
      what: 'the racing loop',
    });

    const outcomes = { wrote: 0, writeRefused: 0, read: 0, readRefused: 0 };
    for (let round = 0; round < 10; round++) {
      try {
        await access().writeMarker(volA, entry);
        outcomes.wrote++;
      } catch (error) {
        expect((error as Error).message).toMatch(/could not write the version marker into .*: /);
        outcomes.writeRefused++;
      }
      try {
        const facts = await access().inspect(volA, { network: 'regtest' });
        // Anything read came from app-a's own files: app-b's key and banner never show up.
        expect(['zero', 'absent']).toContain(facts.xorKey);
        expect(facts.banners.map((banner) => banner.version)).not.toContain('29.3.0');
        if (facts.marker) expect(facts.marker).toMatchObject(entry);
        outcomes.read++;
      } catch (error) {
        expect((error as Error).message).toMatch(/is a symbolic link; the daemon never follows links/);
        outcomes.readRefused++;
      }
    }
    await podman(['rm', '-f', '-t', '0', racer]);
    expect(outcomes.wrote + outcomes.read).toBeGreaterThan(0);
    expect(await canaries()).toBe(before);
    // Once the racer is gone, the daemon's write stands: a real marker, owned like the datadir.
    await access().writeMarker(volA, entry);
    const marker = await podman([
      'unshare',
      'sh',
      '-c',
      'stat -c "%F %a" "$1" && cat "$1"',
      'sh',
      join(volA, MARKER),
    ]);
    expect(marker).toMatch(/^regular file 644\n/);
    expect(JSON.parse(marker.slice(marker.indexOf('\n') + 1))).toMatchObject(entry);
    console.info(`race outcomes: ${JSON.stringify(outcomes)}`);
  });
});
