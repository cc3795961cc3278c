// Per-dependent Bitcoin RPC logins. Each app that uses a Bitcoin node gets its own RPC user,
// `archy-<dependent-id>`, and a random password, kept encrypted in the SecretStore *under the
// dependent* — so they survive whatever happens to the provider (a restart, a version change, a
// Core ⇄ Knots switch: the new provider learns the same logins from the same store) and go when
// the dependent goes. The provider only ever gets the salted HMAC (`-rpcauth`), never a password.

import { generatePassword, rpcauth, type SecretStore } from '../security/secrets/index.js';

/** The dependent's password, in its own secrets. */
export const DEPENDENT_RPC_PASSWORD = 'bitcoin-rpc-password';
/** `user:password`, the cookie format LND, electrs, Fulcrum, NBXplorer and mempool read. */
export const DEPENDENT_RPC_COOKIE = 'bitcoin-rpc-cookie';

/** The dependent's RPC user name (app ids are `[a-z0-9-]`, which rpcauth takes as is). */
export const rpcUserOf = (dependent: string): string => `archy-${dependent}`;

export interface DependentLogin {
  user: string;
  password: string;
}

/** The dependent's login, created on first use (install) and kept from then on. */
export async function ensureDependentLogin(store: SecretStore, dependent: string): Promise<DependentLogin> {
  const user = rpcUserOf(dependent);
  const password = await store.ensure(dependent, DEPENDENT_RPC_PASSWORD, () => generatePassword());
  const cookie = `${user}:${password}`;
  // Derived, but stored so it can become a Podman secret like any other; kept in step.
  if ((await store.get(dependent, DEPENDENT_RPC_COOKIE)) !== cookie) {
    await store.set(dependent, DEPENDENT_RPC_COOKIE, cookie);
  }
  return { user, password };
}

/** The dependent's login if it has one; never creates it. */
export async function dependentLogin(
  store: SecretStore,
  dependent: string,
): Promise<DependentLogin | undefined> {
  const password = await store.get(dependent, DEPENDENT_RPC_PASSWORD);
  return password === undefined ? undefined : { user: rpcUserOf(dependent), password };
}

/** A new password for the dependent; the old one stops working once the provider restarts. */
export async function rotateDependentLogin(store: SecretStore, dependent: string): Promise<DependentLogin> {
  const user = rpcUserOf(dependent);
  const password = generatePassword();
  await store.set(dependent, DEPENDENT_RPC_PASSWORD, password);
  await store.set(dependent, DEPENDENT_RPC_COOKIE, `${user}:${password}`);
  return { user, password };
}

/** Deletes the dependent's login (remove). True when there was one. */
export async function deleteDependentLogin(store: SecretStore, dependent: string): Promise<boolean> {
  const removed = await store.remove(dependent, DEPENDENT_RPC_PASSWORD);
  await store.remove(dependent, DEPENDENT_RPC_COOKIE);
  return removed;
}

/** The `-rpcauth` value for a login (fresh salt each time; bitcoind accepts any salt). */
export const rpcauthLine = (login: DependentLogin): string => rpcauth(login.user, login.password).line;
