import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLocalTarget, maskTarget, parseTarget } from './backup-target.js';

describe('backup targets', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('reads a path, a REST URL and an SFTP target', () => {
    expect(parseTarget('/mnt/usb/archy/')).toEqual({ kind: 'local', repository: '/mnt/usb/archy' });
    expect(parseTarget('rest:http://u:p@127.0.0.1:8000/repo').kind).toBe('rest');
    expect(parseTarget('sftp:me@host:/backups').kind).toBe('sftp');
  });

  it('refuses a relative path, an unknown kind and a broken URL, masking passwords', () => {
    expect(() => parseTarget('backups')).toThrow(/absolute path/);
    expect(() => parseTarget('s3:bucket/x')).toThrow(/not one Archipelago supports/);
    expect(() => parseTarget('rest:ftp://u:secret@h/x')).toThrow(/^(?!.*secret).*http/);
  });

  it('masks the password of a REST URL', () => {
    expect(maskTarget('rest:https://alice:s3cr3t@host:8000/repo')).toBe(
      'rest:https://alice:***@host:8000/repo',
    );
    expect(maskTarget('/mnt/usb')).toBe('/mnt/usb');
  });

  it('refuses a target inside the data dir, and on its disk unless told', async () => {
    const root = await mkdtemp(join(tmpdir(), 'archy-target-'));
    dirs.push(root);
    const data = join(root, 'data');
    await expect(checkLocalTarget(parseTarget(join(data, 'b')), data)).rejects.toThrow(/inside the data dir/);
    await expect(checkLocalTarget(parseTarget(join(root, 'usb', 'repo')), data)).rejects.toThrow(
      /same disk.*--same-disk/,
    );
    await expect(
      checkLocalTarget(parseTarget(join(root, 'usb', 'repo')), data, { sameDisk: true }),
    ).resolves.toBeUndefined();
  });
});
