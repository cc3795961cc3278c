import { defineStore } from 'pinia';
import { ref } from 'vue';
import { client, errorMessage } from '../api/container-client';

/** unknown: not asked yet (or the node is unreachable); setup: no password yet; login; ready: logged in. */
export type AuthPhase = 'unknown' | 'setup' | 'login' | 'ready';

export const useAuth = defineStore('auth', () => {
  const phase = ref<AuthPhase>('unknown');
  const busy = ref(false);
  const error = ref<string | undefined>();

  async function refresh(): Promise<AuthPhase> {
    error.value = undefined;
    try {
      const status = await client.authStatus();
      phase.value = !status.passwordSet ? 'setup' : status.authenticated ? 'ready' : 'login';
    } catch (cause) {
      error.value = errorMessage(cause);
      phase.value = 'unknown';
    }
    return phase.value;
  }

  async function run(work: () => Promise<unknown>): Promise<boolean> {
    busy.value = true;
    error.value = undefined;
    try {
      await work();
      phase.value = 'ready';
      return true;
    } catch (cause) {
      error.value = errorMessage(cause);
      return false;
    } finally {
      busy.value = false;
    }
  }

  const setup = (password: string, setupCode: string): Promise<boolean> =>
    run(() => client.setup(password, setupCode));
  const login = (password: string): Promise<boolean> => run(() => client.login(password));

  async function logout(): Promise<void> {
    try {
      await client.logout();
    } finally {
      phase.value = 'login';
    }
  }

  /** The daemon said the session is gone (expired, or logged out elsewhere). */
  function sessionEnded(): void {
    client.session.set(undefined);
    if (phase.value === 'ready') phase.value = 'login';
  }

  return { phase, busy, error, refresh, setup, login, logout, sessionEnded };
});
