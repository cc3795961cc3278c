import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RemoteAccessStatus } from '../../src/api/contract.js';
import { DataLayout } from '../../src/layout/index.js';
import { NODE_TOR_CONTAINER } from '../../src/tor/index.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { DATA_DIR_LABEL, tempDataDir, waitFor } from '../support/index.js';
import { podman, podmanJson } from '../support/podman-cli.js';

// Remote access over Tor with a real daemon and a real Tor (the node-built image) under
// DisableNetwork 1 and no network at all: Tor makes the onion key and address and contacts
// nobody. What Tor would forward — HTTP on the unix socket tor/run/ui.sock — is sent by the test
// itself, so the whole path behind Tor is the real one.

const PASSWORD = 'Satoshi-Nakamoto-2009';
/** The first `on` may build the Tor image from the host's tor package. */
const FIRST_ON_TIMEOUT_MS = 240_000;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request on the daemon's onion socket, as Tor forwards it (Host: the onion name). */
function overSocket(
  socketPath: string,
  host: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      {
        socketPath,
        method,
        path,
        headers: { host, ...(payload !== undefined && { 'content-type': 'application/json' }) },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer on ${socketPath} within 30 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function bearerCall(daemon: TestDaemon, method: string, params: object): Promise<unknown> {
  const token = (await readFile(join(daemon.dataDir, '.cookie'), 'utf8')).trim();
  const res = await fetch(`${daemon.url}/rpc/v1`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const answer = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result;
}

function lanLogin(daemon: TestDaemon, password: string): Promise<Response> {
  return fetch(`${daemon.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
  });
}

/** The node's Tor container of this data dir, or undefined. */
async function nodeTorContainer(dataDir: string) {
  const found = await podmanJson<Array<{ Id: string; Names: string[] }>>([
    'ps',
    '--all',
    '--format',
    'json',
    '--filter',
    `label=${DATA_DIR_LABEL}=${dataDir}`,
    '--filter',
    `name=^${NODE_TOR_CONTAINER}$`,
  ]);
  return found[0];
}

async function show(daemon: TestDaemon): Promise<RemoteAccessStatus> {
  return daemon.cliJson<RemoteAccessStatus>(['web', 'remote-access', 'show']);
}

describe('remote access over Tor', () => {
  const dataDir = tempDataDir('remote-access');
  const socketPath = join(dataDir, 'tor', 'run', 'ui.sock');
  const env = { ARCHY_TOR_DISABLE_NETWORK: '1' };
  let daemon: TestDaemon | undefined;

  afterAll(async () => {
    await daemon?.stop();
    // The daemon removes its Tor at shutdown; should it not have, the container goes here.
    const left = await nodeTorContainer(dataDir).catch(() => undefined);
    if (left) await podman(['rm', '--force', left.Id]).catch(() => undefined);
  });

  it('serves the UI and login over the onion socket, throttles Tor as one client, keeps its address, and leaves nothing', async () => {
    daemon = await startDaemon({ dataDir, env });
    expect((await show(daemon)).enabled).toBe(false);
    await bearerCall(daemon, 'web.set-password', { password: PASSWORD });

    // on: an onion URL, printed with a QR code only on a terminal (here: the URL alone).
    const on = await daemon.cli(['web', 'remote-access', 'on'], { timeoutMs: FIRST_ON_TIMEOUT_MS });
    expect(on.code, on.stderr).toBe(0);
    const url = /open in Tor Browser: (http:\/\/[a-z2-7]{56}\.onion\/)/.exec(on.stdout)?.[1];
    expect(url, on.stdout).toBeDefined();
    const onion = new URL(url!).hostname;
    const status = await show(daemon);
    expect(status).toEqual({ enabled: true, state: 'running', url });

    // The node's Tor: its torrc, its hardening, and the address it wrote from its own key.
    const torrc = await readFile(join(dataDir, 'tor', 'torrc'), 'utf8');
    expect(torrc).toContain('HiddenServiceDir /var/lib/tor/onions/web\n');
    expect(torrc).toContain('HiddenServicePort 80 unix:/var/lib/tor/run/ui.sock\n');
    expect(torrc).toContain('DisableNetwork 1\n');
    expect(torrc).toContain('SocksPort 0\n');
    expect((await readFile(join(dataDir, 'tor', 'onions', 'web', 'hostname'), 'utf8')).trim()).toBe(onion);
    const container = await nodeTorContainer(dataDir);
    expect(container).toBeDefined();
    const [inspect] = await podmanJson<
      Array<{
        State: { Running: boolean };
        Config: { User: string; Labels: Record<string, string> };
        HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[] | null; NetworkMode: string };
        Mounts: Array<{ Source: string; Destination: string }>;
      }>
    >(['container', 'inspect', NODE_TOR_CONTAINER]);
    expect(inspect!.State.Running).toBe(true);
    expect(inspect!.HostConfig.ReadonlyRootfs).toBe(true);
    expect(inspect!.HostConfig.NetworkMode).toBe('none');
    expect(inspect!.HostConfig.CapDrop?.length ?? 0).toBeGreaterThan(10);
    expect(inspect!.Config.User).toBe('0:0');
    expect(inspect!.Mounts).toContainEqual(
      expect.objectContaining({ Source: join(dataDir, 'tor'), Destination: '/var/lib/tor' }),
    );
    // Tor read that torrc and runs with its network off (its own log says so).
    await waitFor(async () => /DisableNetwork/i.test(await podman(['logs', NODE_TOR_CONTAINER])), {
      what: "Tor's log to mention DisableNetwork",
      timeoutMs: 20_000,
    });

    // What Tor forwards reaches the UI and the API's login; other Host names do not.
    const page = await overSocket(socketPath, onion, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<html/i);
    expect((await overSocket(socketPath, '127.0.0.1', 'GET', '/auth/status')).status).toBe(403);
    const login = await overSocket(socketPath, onion, 'POST', '/auth/login', { password: PASSWORD });
    expect(login.status, login.body).toBe(200);
    expect(String(login.headers['set-cookie'])).not.toMatch(/Secure/);

    // N wrong passwords at once over Tor: one is checked, the rest refused as one client...
    const guesses = await Promise.all(
      Array.from({ length: 8 }, () =>
        overSocket(socketPath, onion, 'POST', '/auth/login', { password: 'Wrong-password-1' }),
      ),
    );
    expect(guesses.map((answer) => answer.status).sort()).toEqual([401, 429, 429, 429, 429, 429, 429, 429]);
    // ...while the owner on 127.0.0.1 logs in at once.
    const started = Date.now();
    const lan = await lanLogin(daemon, PASSWORD);
    expect(lan.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);

    // A daemon restart: the container and the socket go with the daemon, and come back with the
    // same address.
    await daemon.stop();
    daemon = undefined;
    expect(await nodeTorContainer(dataDir)).toBeUndefined();
    await expect(stat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
    daemon = await startDaemon({ dataDir, env });
    const again = await waitFor(
      async () => {
        const current = await show(daemon!);
        return current.state === 'running' ? current : undefined;
      },
      { what: 'remote access to be running again after the restart', timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(again.url).toBe(url);
    expect((await overSocket(socketPath, onion, 'GET', '/auth/status')).status).toBe(200);

    // Tor dies: the daemon brings it up again (a fresh container from the same torrc and key).
    const before = (await nodeTorContainer(dataDir))!.Id;
    await podman(['kill', NODE_TOR_CONTAINER]);
    await waitFor(
      async () => {
        const now = await nodeTorContainer(dataDir);
        if (!now || now.Id === before) return false;
        const [state] = await podmanJson<Array<{ State: { Running: boolean } }>>([
          'container',
          'inspect',
          now.Id,
        ]);
        return state?.State.Running === true && (await show(daemon!)).state === 'running';
      },
      { what: "the daemon to start the node's Tor again", timeoutMs: 30_000, intervalMs: 250 },
    );
    expect((await show(daemon)).url).toBe(url);

    // off: the container and the socket go; the key stays, so on brings the same address back.
    const off = await daemon.cliJson<RemoteAccessStatus>(['web', 'remote-access', 'off']);
    expect(off).toEqual({ enabled: false, state: 'off' });
    expect(await nodeTorContainer(dataDir)).toBeUndefined();
    await expect(stat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
    const back = await daemon.cliJson<RemoteAccessStatus>(['web', 'remote-access', 'on']);
    expect(back.url).toBe(url);
    // --new-address: another key, another address.
    const fresh = await daemon.cliJson<RemoteAccessStatus>(['web', 'remote-access', 'on', '--new-address']);
    expect(fresh.url).toMatch(/^http:\/\/[a-z2-7]{56}\.onion\/$/);
    expect(fresh.url).not.toBe(url);

    // Each change is in the audit log.
    const audit = await readFile(new DataLayout(dataDir).auditLogFile, 'utf8');
    const changes = audit
      .split('\n')
      .filter((line) => line.includes('"web.remote-access"'))
      .map((line) => (JSON.parse(line) as { params: Record<string, unknown> }).params);
    expect(changes).toEqual([
      { enabled: true },
      { enabled: false },
      { enabled: true },
      { enabled: true, newAddress: true },
    ]);

    // Shutdown with remote access on: nothing of it is left behind.
    await daemon.stop();
    daemon = undefined;
    expect(await nodeTorContainer(dataDir)).toBeUndefined();
    await expect(stat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
  }, 480_000);
});
