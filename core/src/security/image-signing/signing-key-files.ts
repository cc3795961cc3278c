import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchyError, RpcErrorCode } from '../../kernel/index.js';
import { createSigningKeyPair } from './signing-keys.js';
import { pathExists } from '../../util/path-exists.js';

/** cosign's file names, so publishers' scripts and habits carry over. */
export const PRIVATE_KEY_FILE = 'cosign.key';
export const PUBLIC_KEY_FILE = 'cosign.pub';

export interface GeneratedKeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  publicKeyPem: string;
  keyId: string;
}

/**
 * Creates a P-256 signing key pair in `dir`: `cosign.key` (PKCS#8 PEM, mode 0600) and
 * `cosign.pub` (SubjectPublicKeyInfo PEM, what the catalog trusts and what `cosign verify --key`
 * reads). Never overwrites: a lost signing key means re-signing every image.
 */
export async function generateSigningKeyPair(dir: string): Promise<GeneratedKeyPair> {
  const privateKeyPath = join(dir, PRIVATE_KEY_FILE);
  const publicKeyPath = join(dir, PUBLIC_KEY_FILE);
  for (const path of [privateKeyPath, publicKeyPath]) {
    if (await pathExists(path))
      throw new ArchyError(
        RpcErrorCode.Conflict,
        `${path} already exists; it may be the key your catalog trusts, so it is not overwritten. Choose another directory.`,
      );
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = createSigningKeyPair();
  // 'wx' so a file that appeared meanwhile is not clobbered; mode is set at creation, never widened.
  await writeFile(privateKeyPath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  await writeFile(publicKeyPath, pair.publicKeyPem, { mode: 0o644, flag: 'wx' });
  return { privateKeyPath, publicKeyPath, publicKeyPem: pair.publicKeyPem, keyId: pair.keyId };
}

/**
 * Reads a private key file for signing, refusing one others can read (as ssh does): a signing
 * key that leaked lets anyone publish images the nodes will run.
 */
export async function readSigningKeyFile(path: string): Promise<string> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `cannot read signing key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; ` +
        'create one with: archy image keygen --out <dir>',
      { cause: err },
    );
  }
  if ((mode & 0o077) !== 0)
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `signing key ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); fix it with: chmod 600 ${path}`,
    );
  return readFile(path, 'utf8');
}
