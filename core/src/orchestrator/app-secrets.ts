// The secrets an app may reference by name without any dependency: `${ARCHY_APP_PASSWORD}` (a
// 32-character password, e.g. for the app's own web login) and `${ARCHY_APP_SEED}` (64 hex
// digits, 32 random bytes, for apps that derive their keys from one — Umbrel's APP_SEED). Made on
// first use and kept in the app's SecretStore like its other secrets: the same across restarts,
// updates and version changes, gone when the app is purged.

import { randomBytes } from 'node:crypto';
import { generatePassword, type SecretStore } from '../security/secrets/index.js';
import { generateControlPassword } from '../tor/index.js';

/** The SecretStore name of an app's Tor control password: the sidecar's torrc holds its hash (tor-sidecar.ts). */
const TOR_CONTROL_PASSWORD = 'tor-control-password';

/** Reference name → the stored secret's name and how a new one is made. */
const APP_SECRETS: Record<string, { stored: string; make: () => string }> = {
  // 24 random bytes in base64url: exactly 32 characters, none a shell or URL needs quoted.
  ARCHY_APP_PASSWORD: { stored: 'app-password', make: () => generatePassword(24) },
  ARCHY_APP_SEED: { stored: 'app-seed', make: () => randomBytes(32).toString('hex') },
  // The app's Tor control port password (README "Tor"): the Tor sidecar's torrc holds only its
  // hash (HashedControlPassword). 32 letters and digits, made by whichever needs it first.
  ARCHY_TOR_CONTROL_PASSWORD: { stored: TOR_CONTROL_PASSWORD, make: generateControlPassword },
};

export const isAppSecretReference = (name: string): boolean => name in APP_SECRETS;

/** Makes the app's secret on first use; returns its name in the SecretStore (its file name too). */
export async function ensureAppSecret(store: SecretStore, appId: string, reference: string): Promise<string> {
  const secret = APP_SECRETS[reference];
  if (!secret) throw new TypeError(`${reference} is not an app secret`);
  await store.ensure(appId, secret.stored, secret.make);
  return secret.stored;
}

/** The app's secret's value, made on first use (the connection details' web login). */
export function appSecretValue(store: SecretStore, appId: string, reference: string): Promise<string> {
  const secret = APP_SECRETS[reference];
  if (!secret) throw new TypeError(`${reference} is not an app secret`);
  return store.ensure(appId, secret.stored, secret.make);
}
