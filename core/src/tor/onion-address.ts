// An onion service's address: Tor writes it to `hostname` in the service's key folder when it
// made (or loaded) the key. The daemon reads it from there — the key folder is the truth.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A v3 onion address: 56 base32 characters. */
export const ONION_ADDRESS = /^[a-z2-7]{56}\.onion$/;

/** The address in `<serviceDir>/hostname`, or undefined while Tor has not written it. */
export async function readOnionAddress(serviceDir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(join(serviceDir, 'hostname'), 'utf8');
  } catch {
    return undefined;
  }
  const address = text.trim();
  return ONION_ADDRESS.test(address) ? address : undefined;
}

/**
 * Waits (bounded) for Tor to write the address; undefined when it did not in `timeoutMs` (Tor
 * failed, or is slow: the caller says so and carries on — status shows the address once there).
 */
export async function waitForOnionAddress(
  serviceDir: string,
  options: { timeoutMs: number; signal?: AbortSignal; intervalMs?: number },
): Promise<string | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const address = await readOnionAddress(serviceDir);
    if (address !== undefined || Date.now() >= deadline || options.signal?.aborted) return address;
    await sleep(options.intervalMs ?? 100);
  }
}
