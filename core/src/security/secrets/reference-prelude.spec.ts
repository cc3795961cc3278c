import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withSecretReferences, type PreludePart } from './reference-prelude.js';

const dir = mkdtempSync(join(tmpdir(), 'archy-prelude-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'pa ss\'w"o$rd\\`x`';
const secretFile = join(dir, 'rpc-password');
writeFileSync(secretFile, SECRET);

const files = { ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD: secretFile };
const ref: PreludePart = { reference: 'ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD' };

/** Runs the wrapped argv with the real /bin/sh: printf prints each argument on its own line. */
function run(argv: string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { PATH: process.env.PATH } });
}

describe('withSecretReferences', () => {
  const nasty = [
    "it's",
    'two  spaces',
    '$HOME and ${HOME} and $(id) and `id`',
    'back\\slash\\\\ and \\n',
    '"double" quotes',
    '',
    'new\nline',
    '$$ and ${x:-y}',
  ];

  it('keeps every literal part exactly, whatever quotes, spaces, $ and backslashes it holds', () => {
    const argv = withSecretReferences({
      files,
      env: {},
      argv: [[{ literal: 'printf' }], [{ literal: '%s|\\n' }], ...nasty.map((text) => [{ literal: text }])],
    });
    expect(run(argv)).toBe(nasty.map((text) => `${text}|\n`).join(''));
  });

  it('expands a reference inside an argv item and an env value, to the file’s exact content', () => {
    const argv = withSecretReferences({
      files,
      env: { RPC_PASS: [{ literal: "pre'$x " }, ref, { literal: ' post\\' }] },
      argv: [
        [{ literal: 'sh' }],
        [{ literal: '-c' }],
        [{ literal: 'printf "%s|%s|%s" "$RPC_PASS" "$1" "${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD-unset}"' }],
        [{ literal: 'arg0' }],
        [{ literal: '--rpcpassword=' }, ref],
      ],
    });
    // The secret variable itself is not exported: the app sees it only where the manifest put it.
    expect(run(argv)).toBe(`pre'$x ${SECRET} post\\|--rpcpassword=${SECRET}|unset`);
  });

  it('shows only variable names, never a value, and fails the start when a file is missing', () => {
    const argv = withSecretReferences({ files, env: { P: [ref] }, argv: [[{ literal: 'true' }]] });
    expect(argv.join(' ')).not.toContain('pa ss');
    expect(argv[2]).toContain('"${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}"');
    const missing = withSecretReferences({
      files: { ARCHY_APP_PASSWORD: join(dir, 'absent') },
      env: {},
      argv: [[{ literal: 'echo' }], [{ reference: 'ARCHY_APP_PASSWORD' }]],
    });
    expect(() => execFileSync(missing[0]!, missing.slice(1), { stdio: 'pipe' })).toThrow();
  });

  it('refuses a reference without a file, a bad env name and an empty argv', () => {
    expect(() =>
      withSecretReferences({
        files: {},
        env: {},
        argv: [[{ literal: 'x' }, { reference: 'ARCHY_APP_SEED' }]],
      }),
    ).toThrow(/no secret file/);
    expect(() => withSecretReferences({ files, env: { 'A B': [] }, argv: [[{ literal: 'x' }]] })).toThrow(
      /invalid env variable name/,
    );
    expect(() => withSecretReferences({ files, env: {}, argv: [] })).toThrow(/empty command/);
  });
});
