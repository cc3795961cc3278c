import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';

// The admin password is kept only as a scrypt hash. scrypt is memory-hard, so guessing costs an
// attacker memory as well as time; N=2^15, r=8 needs 32 MiB per hash — affordable on a Pi 5 for
// the odd login, costly for anyone trying millions of guesses against a stolen file.

export const SCRYPT_DEFAULTS = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** A tampered file must not make the daemon allocate gigabytes: refuse parameters beyond these. */
const MAX_COST_N = 2 ** 20;
const MAX_BLOCK_SIZE_R = 32;
const MAX_PARALLELISM_P = 16;

export const passwordRecordSchema = z
  .object({
    algo: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(2 ** 14)
      .max(MAX_COST_N)
      .refine((n) => (n & (n - 1)) === 0, 'N must be a power of two'),
    r: z.number().int().min(1).max(MAX_BLOCK_SIZE_R),
    p: z.number().int().min(1).max(MAX_PARALLELISM_P),
    /** base64 */
    salt: z.string().min(1),
    /** base64 */
    hash: z.string().min(1),
  })
  .strict();

/** What DATA_DIR/web-auth.json holds: the scrypt parameters, salt and hash — never the password. */
export type PasswordRecord = z.infer<typeof passwordRecordSchema>;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export async function hashPassword(
  password: string,
  params: ScryptParams = SCRYPT_DEFAULTS,
): Promise<PasswordRecord> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptHash(password, salt, HASH_BYTES, params);
  return {
    algo: 'scrypt',
    N: params.N,
    r: params.r,
    p: params.p,
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
  };
}

/** Recomputes the hash with the record's own parameters and compares in constant time. */
export async function verifyPassword(password: string, record: PasswordRecord): Promise<boolean> {
  const expected = Buffer.from(record.hash, 'base64');
  if (expected.length === 0) return false;
  const actual = await scryptHash(password, Buffer.from(record.salt, 'base64'), expected.length, record);
  return timingSafeEqual(actual, expected);
}

function scryptHash(password: string, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // Node refuses by default at 32 MiB, which N=2^15, r=8 needs exactly; allow twice the need.
    maxmem: 256 * params.N * params.r,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}
