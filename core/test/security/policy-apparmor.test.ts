// Generated AppArmor profiles must be valid policy: each is compiled by the real apparmor_parser
// without loading it (-Q skips the kernel, -K the cache), so a profile that would fail to load
// on a host with AppArmor fails here first.

import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { tempDataDir } from '../support/index.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseManifest, type AppManifest } from '../../src/manifest/index.js';
import {
  appArmorProfileName,
  generateAppArmorProfile,
  writeAppArmorProfile,
} from '../../src/security/apparmor/index.js';
import { appArmorInputFor } from '../../src/security/policy/index.js';

const run = promisify(execFile);
const APPARMOR_PARSER = '/usr/sbin/apparmor_parser';
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

async function compile(profilePath: string): Promise<{ ok: boolean; stderr: string }> {
  try {
    await run(APPARMOR_PARSER, ['-Q', '-K', profilePath], { timeout: 30_000 });
    return { ok: true, stderr: '' };
  } catch (error) {
    return { ok: false, stderr: (error as { stderr?: string }).stderr ?? String(error) };
  }
}

const base = (id: string, body: string) =>
  `id: ${id}\nname: P\nversion: "1.0.0"\nimage: 127.0.0.1:5000/archy-test/hello:1.0.0\n${body}`;

const CASES: Array<[string, AppManifest, string[]]> = [
  ['the hello app', parseManifest(readFileSync(join(REPO, 'apps/hello/manifest.yml'), 'utf8'), 'hello'), []],
  [
    'Bitcoin Core',
    parseManifest(readFileSync(join(REPO, 'apps/bitcoin-core/manifest.yml'), 'utf8'), 'bitcoin-core'),
    [],
  ],
  ['no volumes at all', parseManifest(base('bare', ''), 'bare.yml'), []],
  [
    'every allowlisted capability, read-only and nested volumes, extra tmpfs',
    parseManifest(
      base(
        'busy',
        [
          'volumes:',
          '  - mount: /data',
          '  - { mount: /etc/busy, name: conf, readOnly: true }',
          '  - { mount: /home/app/.busy/cache-v2, name: cache }',
          'security:',
          '  capAdd: [CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID, NET_BIND_SERVICE, KILL]',
          '  tmpfs: [/var/cache/busy]',
          '  user: "1000:1000"',
        ].join('\n'),
      ),
      'busy.yml',
    ),
    [],
  ],
  [
    'a granted NET_RAW (raw sockets allowed) and a writable root',
    parseManifest(base('pinger', 'security:\n  capAdd: [NET_RAW]\n  readOnlyRootfs: false\n'), 'pinger.yml'),
    ['NET_RAW'],
  ],
  [
    'a granted SYS_ADMIN (mounts still denied)',
    parseManifest(base('fuse', 'security:\n  capAdd: [SYS_ADMIN]\n'), 'fuse.yml'),
    ['SYS_ADMIN'],
  ],
];

describe('generated AppArmor profiles', () => {
  const dir = tempDataDir('apparmor');

  it.each(CASES)('compile with apparmor_parser: %s', async (_what, manifest, granted) => {
    const path = await writeAppArmorProfile(
      dir,
      manifest,
      appArmorInputFor(manifest, { grantedCapabilities: granted }),
    );
    expect(path).toBe(join(dir, appArmorProfileName(manifest.id)));
    expect(statSync(path).mode & 0o777).toBe(0o644);
    const result = await compile(path);
    expect(result.ok, `apparmor_parser refused ${path}:\n${result.stderr}`).toBe(true);

    const text = readFileSync(path, 'utf8');
    expect(text).toContain(
      `profile ${appArmorProfileName(manifest.id)} flags=(attach_disconnected,mediate_deleted)`,
    );
    for (const rule of ['deny mount,', 'deny ptrace,', 'deny pivot_root,', 'deny @{PROC}/sys/** wl,']) {
      expect(text).toContain(rule);
    }
    if (granted.includes('NET_RAW')) expect(text).toContain('network inet raw,');
    else expect(text).toContain('deny network inet raw,');
    for (const volume of manifest.volumes) {
      if (volume.readOnly) expect(text).not.toContain(`${volume.mount}/** rwlk,`);
      else expect(text).toContain(`${volume.mount}/** rwlk,`);
    }
  });

  it('the parser check is real: a broken profile and conflicting exec modes are refused', async () => {
    const manifest = CASES[0]![1];
    const good = generateAppArmorProfile(manifest, appArmorInputFor(manifest));
    const broken = join(dir, 'broken');
    writeFileSync(broken, good.replace('deny ptrace,', 'deny ptrace, not a rule,'));
    expect((await compile(broken)).ok).toBe(false);
    const conflicting = join(dir, 'conflicting');
    writeFileSync(conflicting, good.replace('/** mrixk,', '/** mrixk,\n  /data/** px,'));
    expect((await compile(conflicting)).ok).toBe(false);
  });

  it('refuses to write a path that would read as a glob into a rule', () => {
    const manifest = CASES[2]![1];
    expect(() => generateAppArmorProfile(manifest, { capabilities: [], tmpfs: ['/tmp/*'] })).toThrow(
      /refusing to write "\/tmp\/\*" into an AppArmor rule/,
    );
  });
});
