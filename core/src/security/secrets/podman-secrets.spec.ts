import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { envSecretModeFor, podmanSecretName, withEnvFromSecretFiles } from './podman-secrets.js';

const run = promisify(execFile);

describe('podmanSecretName', () => {
  it('cannot map two apps to one name (app ids have no dots)', () => {
    expect(podmanSecretName('bitcoin-core', 'rpcpassword')).toBe('archy-bitcoin-core.rpcpassword');
    expect(podmanSecretName('a-b', 'c')).not.toBe(podmanSecretName('a', 'b-c'));
  });
});

describe('envSecretModeFor', () => {
  it('uses secret_env only where Podman hides its values from inspect (5.3+)', () => {
    expect(envSecretModeFor('4.3.1')).toBe('files');
    expect(envSecretModeFor('5.2.5')).toBe('files');
    expect(envSecretModeFor('5.3.0')).toBe('secret_env');
    expect(envSecretModeFor('6.0.0-dev')).toBe('secret_env');
    expect(envSecretModeFor('garbage')).toBe('files');
  });
});

describe('withEnvFromSecretFiles', () => {
  it('leaves the argv alone when there is no env to load', () => {
    expect(withEnvFromSecretFiles(['httpd', '-f'], {})).toEqual(['httpd', '-f']);
  });

  it('exports each variable from its file, then execs the argv unchanged (run with a real sh)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'archy-env-files-'));
    try {
      const awkward = join(dir, "it's here");
      await writeFile(join(dir, 'a'), 'value-a');
      await writeFile(awkward, 'value $b `c`');
      const argv = withEnvFromSecretFiles(
        ['/bin/sh', '-c', 'printf "%s|%s|%s" "$A" "$B" "$1"', 'x', 'arg one'],
        {
          A: join(dir, 'a'),
          B: awkward,
        },
      );
      expect(argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
      expect(argv.join(' ')).not.toContain('value-a');
      const { stdout } = await run(argv[0]!, argv.slice(1));
      expect(stdout).toBe('value-a|value $b `c`|arg one');
      // A missing file stops the start instead of running the app with an empty password.
      const broken = withEnvFromSecretFiles(['/bin/true'], { A: join(dir, 'missing') });
      await expect(run(broken[0]!, broken.slice(1))).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad env names and an empty argv', () => {
    expect(() => withEnvFromSecretFiles(['x'], { 'A;rm': '/f' })).toThrow(/invalid env variable name/);
    expect(() => withEnvFromSecretFiles([], { A: '/f' })).toThrow(/empty command/);
  });
});
