import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The node's HTTP API as the web UI uses it: first-run setup and login (a session cookie and its
 * CSRF token), then JSON-RPC at /rpc/v1. Through QEMU's port forward the node sees requests
 * from its own gateway, with the Host the test sends.
 */
export class NodeApi {
  readonly base: string;
  #cookie = '';
  #csrf = '';

  constructor(base: string) {
    this.base = base;
  }

  /** GET a path; undefined when the node does not answer (yet). */
  async get(path: string): Promise<{ status: number; body: string } | undefined> {
    try {
      const response = await fetch(`${this.base}${path}`, { signal: AbortSignal.timeout(15_000) });
      return { status: response.status, body: await response.text() };
    } catch {
      return undefined;
    }
  }

  /** Waits until GET path answers with a status below 500; the time it took, in ms. */
  async waitFor(path: string, timeoutMs: number): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      const answer = await this.get(path);
      if (answer && answer.status < 500) return Date.now() - started;
      await sleep(2000);
    }
    throw new Error(`${this.base}${path} did not answer within ${timeoutMs / 1000} s`);
  }

  async authStatus(): Promise<{ passwordSet: boolean; authenticated: boolean }> {
    const answer = await this.get('/auth/status');
    if (!answer || answer.status !== 200) throw new Error(`/auth/status: ${answer?.status ?? 'no answer'}`);
    return JSON.parse(answer.body) as { passwordSet: boolean; authenticated: boolean };
  }

  /** First-run setup with the setup code, which also logs in. */
  async setup(password: string, setupCode: string): Promise<void> {
    await this.#session('/auth/setup', { password, setupCode });
  }

  async login(password: string): Promise<void> {
    await this.#session('/auth/login', { password });
  }

  async rpc<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 600_000): Promise<T> {
    const response = await fetch(`${this.base}/rpc/v1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: this.#cookie, 'x-csrf-token': this.#csrf },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  }

  async #session(path: string, body: Record<string, string>): Promise<void> {
    const response = await fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
    this.#cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
    this.#csrf = (JSON.parse(text) as { csrfToken: string }).csrfToken;
  }
}
