// The evidence request, run in-process on the test's own files (the helper process and the user
// namespace are covered by test/bitcoin/datadir-access*.test.ts): what the daemon lays out from
// the reply must read exactly as the datadir itself does.

import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectDatadir, NETWORK_SUBDIRS, VERSION_MARKER_FILE, versionMarkerText } from '../bitcoin/index.js';
import { helperScript } from './app-tree-client.js';
import { runAppTreeRequest, type ReadReply } from './app-tree-ops.js';
import { evidenceRequest, layOutEvidence } from './datadir-access.js';

let base: string;
let datadir: string;
const stayRoot = (): void => undefined;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'datadir-access-'));
  datadir = join(base, 'app', 'bitcoin');
  const net = join(datadir, 'regtest');
  mkdirSync(join(net, 'blocks'), { recursive: true });
  mkdirSync(join(net, 'indexes', 'coinstatsindex'), { recursive: true });
  mkdirSync(join(base, 'secrets'));
  writeFileSync(join(base, 'secrets', '.master-key'), 'SECRET', { mode: 0o600 });
  writeFileSync(join(datadir, 'bitcoin.conf'), 'regtest=1\n[regtest]\nprune=550\n');
  writeFileSync(join(net, 'settings.json'), '{"prune": 600}');
  writeFileSync(
    join(net, 'debug.log'),
    '2025-01-01T00:00:00Z Bitcoin Core version v28.1.0 (release build)\n' +
      '2025-02-01T00:00:00Z Bitcoin Core version v29.0.0 (release build)\n',
  );
  writeFileSync(join(net, 'blocks', 'xor.dat'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
  writeFileSync(join(net, 'blocks', 'blk00003.dat'), '');
  writeFileSync(join(net, 'blocks', 'blk00004.dat'), '');
  utimesSync(join(net, 'blocks', 'xor.dat'), new Date(), new Date('2025-01-01T00:00:00.123Z'));
  utimesSync(join(net, 'indexes', 'coinstatsindex'), new Date(), new Date('2025-03-04T05:06:07.891Z'));
  writeFileSync(
    join(datadir, VERSION_MARKER_FILE),
    versionMarkerText({ implementation: 'core', version: '28.1', network: 'regtest', banner: '28.1.0' }),
  );
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const read = (tail = 1 << 20): ReadReply =>
  runAppTreeRequest(evidenceRequest(datadir, tail), stayRoot) as ReadReply;

describe('the evidence request', () => {
  it('covers every network folder datadir-inspect knows', () => {
    const request = evidenceRequest(datadir, 100);
    for (const subdir of Object.values(NETWORK_SUBDIRS)) {
      const blocks = subdir === '' ? 'blocks' : `${subdir}/blocks`;
      expect(request.dirs).toContain(blocks);
      expect(request.files.map((f) => f.path)).toContain(`${blocks}/xor.dat`);
    }
  });

  it('lays out a copy that inspects exactly like the datadir, times of the clues included', async () => {
    const reply = read();
    expect(reply).toMatchObject({ ok: true, exists: true, symlinks: [], tooLarge: [] });
    const copy = join(base, 'copy');
    mkdirSync(copy);
    await layOutEvidence(reply, copy);
    const options = { network: 'regtest' as const, args: ['-regtest'] };
    const original = await inspectDatadir(datadir, options);
    const fromCopy = await inspectDatadir(copy, options);
    expect({ ...fromCopy, datadir }).toEqual(original);
    expect(original).toMatchObject({
      xorKey: 'non-zero',
      xorKeySince: '2025-01-01T00:00:00.123Z',
      coinstatsIndexSince: '2025-03-04T05:06:07.891Z',
      lastBanner: { version: '29.0.0' },
      marker: { version: '28.1', banner: '28.1.0' },
      prune: { blockFilesPruned: true, setting: 600 },
    });
  });

  it('reads only the tail of debug.log', () => {
    const reply = read(60);
    const log = Buffer.from(reply.files['regtest/debug.log']!.data, 'base64').toString();
    expect(log).toHaveLength(60);
    expect(log).toContain('v29.0.0');
  });

  it('names the links it met instead of reading through them', () => {
    rmSync(join(datadir, 'bitcoin.conf'));
    symlinkSync('../../secrets/.master-key', join(datadir, 'bitcoin.conf'));
    rmSync(join(datadir, VERSION_MARKER_FILE));
    symlinkSync(join(base, 'secrets', '.master-key'), join(datadir, VERSION_MARKER_FILE));
    rmSync(join(datadir, 'regtest', 'blocks'), { recursive: true });
    symlinkSync('../../../secrets', join(datadir, 'regtest', 'blocks'));
    const reply = read();
    expect(reply.symlinks.sort()).toEqual([VERSION_MARKER_FILE, 'bitcoin.conf', 'regtest/blocks'].sort());
    expect(JSON.stringify(reply)).not.toContain(Buffer.from('SECRET').toString('base64'));
    expect(reply.files['bitcoin.conf']).toBeUndefined();
  });

  it('says there is no datadir, and refuses a datadir that is a link', () => {
    rmSync(datadir, { recursive: true });
    expect(read()).toMatchObject({ ok: true, exists: false });
    symlinkSync('../secrets', datadir);
    expect(read()).toMatchObject({ ok: false, symlink: '.' });
  });
});

describe('the other requests', () => {
  it('writes the marker over a planted link, owned by whoever writes it, mode 0644', () => {
    rmSync(join(datadir, VERSION_MARKER_FILE));
    symlinkSync('../../secrets/.master-key', join(datadir, VERSION_MARKER_FILE));
    symlinkSync('../../secrets/.master-key', join(datadir, `.${VERSION_MARKER_FILE}.tmp`));
    const text = versionMarkerText({ implementation: 'core', version: '29.0', network: 'regtest' });
    const owners: unknown[] = [];
    const reply = runAppTreeRequest(
      { op: 'write', root: datadir, name: VERSION_MARKER_FILE, text, mode: 0o644 },
      (owner) => owners.push(owner),
    );
    expect(reply).toEqual({ ok: true });
    expect(owners).toEqual([{ uid: process.getuid!(), gid: process.getgid!() }]);
    expect(readFileSync(join(datadir, VERSION_MARKER_FILE), 'utf8')).toBe(text);
    expect(lstatSync(join(datadir, VERSION_MARKER_FILE)).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(base, 'secrets', '.master-key'), 'utf8')).toBe('SECRET');
  });

  it('removes a tree with links, a missing tree, and a link where the tree was', () => {
    symlinkSync('../../secrets', join(datadir, 'regtest', 'out'));
    expect(runAppTreeRequest({ op: 'remove', path: join(base, 'app') }, stayRoot)).toEqual({ ok: true });
    expect(() => lstatSync(join(base, 'app'))).toThrow(/ENOENT/);
    expect(runAppTreeRequest({ op: 'remove', path: join(base, 'app') }, stayRoot)).toEqual({ ok: true });
    symlinkSync('secrets', join(base, 'app'));
    expect(runAppTreeRequest({ op: 'remove', path: join(base, 'app') }, stayRoot)).toEqual({ ok: true });
    expect(readFileSync(join(base, 'secrets', '.master-key'), 'utf8')).toBe('SECRET');
  });
});

describe('helperScript', () => {
  it('finds the helper beside the bundle, beside tsc output, and in tsc output from the sources', () => {
    expect(helperScript('file:///x/core/dist/bundle/daemon-ab12.mjs')).toBe(
      '/x/core/dist/bundle/app-tree-helper.mjs',
    );
    expect(helperScript('file:///x/core/dist/orchestrator/app-tree-client.js')).toBe(
      '/x/core/dist/orchestrator/app-tree-helper.js',
    );
    expect(helperScript('file:///x/core/src/orchestrator/app-tree-client.ts')).toBe(
      '/x/core/dist/orchestrator/app-tree-helper.js',
    );
  });
});
