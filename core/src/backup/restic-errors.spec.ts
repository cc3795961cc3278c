import { describe, expect, it } from 'vitest';
import { classifyResticFailure, damagedPacks, resticFailure } from './restic-errors.js';

// restic 0.14's own words (Debian bookworm), as it printed them on this machine.
describe('restic failures', () => {
  it('tells each known failure apart', () => {
    expect(classifyResticFailure('Fatal: wrong password or no key found\n')).toBe('wrong-key');
    expect(
      classifyResticFailure(
        'Fatal: unable to open config file: stat /x/config: no such file or directory\nIs there a repository at the following location?\n/x\n',
      ),
    ).toBe('no-repository');
    expect(
      classifyResticFailure(
        'Fatal: unable to open config file: client.Head: Head "http://127.0.0.1:1/x/config": dial tcp 127.0.0.1:1: connect: connection refused\n',
      ),
    ).toBe('unreachable');
    expect(
      classifyResticFailure('Save(<data/abc>) returned error: write /r/data/ab/abc: no space left on device'),
    ).toBe('no-space');
    expect(
      classifyResticFailure('unable to create lock in backend: repository is already locked by PID 1'),
    ).toBe('locked');
  });

  it('names damaged packs', () => {
    expect(
      damagedPacks('pack 1a2b3c4d: not referenced in any index\nFatal: repository contains errors'),
    ).toEqual(['1a2b3c4d']);
  });

  it('says what to do, with the target masked', () => {
    const error = resticFailure({
      code: 1,
      stderr: 'Fatal: wrong password or no key found\n',
      repository: 'rest:http://u:pw@127.0.0.1:9/r',
    });
    expect(error.kind).toBe('wrong-key');
    expect(error.message).toContain('rest:http://u:***@127.0.0.1:9/r');
    expect(error.message).not.toContain('pw@');
  });
});
