// What os.status says about SSH, read from a folder laid out as ssh-switch leaves it, with keys
// made by the real ssh-keygen: the fingerprints must be the ones ssh itself prints, since the
// owner compares them with what their own machine and the first login show.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAuthorizedKeys, readSshState, sshKeyFromLine } from './ssh-state.js';

const run = promisify(execFile);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-ssh-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh key pair; returns the public line and `ssh-keygen -l`'s fingerprint of it. */
async function keyPair(name: string, type: 'ed25519' | 'rsa', comment: string) {
  const file = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', comment, '-f', file]);
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`]);
  return { line: (await readFile(`${file}.pub`, 'utf8')).trim(), fingerprint: stdout.split(' ')[1]! };
}

describe('sshKeyFromLine', () => {
  it("gives ssh-keygen's own SHA256 fingerprint, the type and the comment", async () => {
    for (const type of ['ed25519', 'rsa'] as const) {
      const key = await keyPair(`id_${type}`, type, `owner laptop ${type}`);
      expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(sshKeyFromLine(key.line)).toEqual({
        type: type === 'rsa' ? 'ssh-rsa' : 'ssh-ed25519',
        fingerprint: key.fingerprint,
        comment: `owner laptop ${type}`,
      });
    }
  });

  it('is undefined for a line that is not a public key', () => {
    expect(sshKeyFromLine('ssh-ed25519')).toBeUndefined();
    expect(sshKeyFromLine('-----BEGIN OPENSSH PRIVATE KEY-----')).toBeUndefined();
    expect(sshKeyFromLine('ssh-ed25519 not*base64')).toBeUndefined();
  });
});

describe('readSshState', () => {
  it('is off with no keys on a node where SSH was never turned on', async () => {
    expect(await readSshState(join(dir, 'no-such-folder'))).toEqual({ enabled: false, keys: [] });
  });

  it('is on with the keys ssh-switch wrote, and the host key once sshd made it', async () => {
    const owner = await keyPair('owner', 'ed25519', 'owner');
    const second = await keyPair('second', 'rsa', 'second laptop');
    const host = await keyPair('ssh_host_ed25519_key', 'ed25519', 'archipelago host key');
    await writeFile(join(dir, 'authorized_keys'), `${owner.line}\n${second.line}\n`);
    await writeFile(join(dir, 'enabled'), '');
    expect(await readSshState(dir)).toEqual({
      enabled: true,
      keys: [
        { type: 'ssh-ed25519', fingerprint: owner.fingerprint, comment: 'owner' },
        { type: 'ssh-rsa', fingerprint: second.fingerprint, comment: 'second laptop' },
      ],
      hostKey: host.fingerprint,
    });
  });

  it('reports no keys without the flag, even if a keys file was left behind', async () => {
    const owner = await keyPair('owner', 'ed25519', 'owner');
    await writeFile(join(dir, 'authorized_keys'), `${owner.line}\n`);
    expect(await readSshState(dir)).toMatchObject({ enabled: false, keys: [] });
  });
});

describe('parseAuthorizedKeys', () => {
  it('skips blank lines, comments and lines that are not keys', async () => {
    const owner = await keyPair('owner', 'ed25519', 'owner');
    const keys = parseAuthorizedKeys(`# from archipelago-ssh.txt\n\n${owner.line}\nnot a key\n`);
    expect(keys).toEqual([{ type: 'ssh-ed25519', fingerprint: owner.fingerprint, comment: 'owner' }]);
  });
});
