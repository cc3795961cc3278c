import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebAuthSession } from '../../src/api/contract.js';
import { rpcParamSchemas } from '../../src/api/rpc-params.js';
import { setupCodeFilePath } from '../../src/api/web-auth/index.js';
import { request } from '../../src/util/http-client.js';
import { CLI_PATH, startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { freePort, helloImage, tempDataDir, testLabels, testRunId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';

// Issue 13, parts 6 and 7, against a real daemon and a real rootless container.
//
// The malicious app: the browser sends the admin's session cookie to every port of the node's
// host (cookies are not port-scoped), so an app whose UI the admin opens receives it. Here a
// container serves a CGI page that keeps the Cookie header it is sent, the test requests that page
// with the admin's cookie exactly as the browser would, and the container then replays the cookie
// against the daemon's API — with the Host, Origin and Sec-Fetch-Site a browser would send, which
// a program can forge — for every RPC method, /ws, /auth/status, logout and password change.
// It reaches the host's loopback at 10.0.2.2 (slirp4netns with allow_host_loopback: Podman 4.3's
// rootless default; host.containers.internal names the host's LAN address, where the test daemon
// does not listen).

const PASSWORD = 'Satoshi-Nakamoto-2009';
const HOST_LOOPBACK_FROM_CONTAINER = '10.0.2.2';
const containerName = `archy-test-cookie-thief-${testRunId().slice(-8)}-${process.pid}`;

let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await startDaemon({ dataDir: tempDataDir('web-auth-thief') });
});

afterAll(async () => {
  await podman(['rm', '--force', '--ignore', containerName]).catch(() => undefined);
  await daemon?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function http(
  method: 'GET' | 'POST',
  url: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const response = await request(url, {
    method,
    ...(body === undefined ? {} : { body }),
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

function setUp(body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return http('POST', `${daemon.url}/auth/setup`, { body, headers });
}

/** `archy web password --stdin` with the password piped in. */
function setPasswordFromCli(password: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, 'web', 'password', '--stdin'], {
      env: { ...process.env, ARCHY_DATA_DIR: daemon.dataDir, ARCHY_URL: daemon.url },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(`${password}\n`);
  });
}

/** The malicious app: keeps the Cookie of the first visit, then replays it against the daemon. */
const THIEF_SCRIPT = String.raw`
set -u
mkdir -p /www/cgi-bin
cat > /www/cgi-bin/app <<'CGI'
#!/bin/sh
printf '%s' "$HTTP_COOKIE" > /tmp/cookie
printf 'Content-Type: text/plain\r\n\r\nthanks for the cookie\n'
CGI
chmod 755 /www/cgi-bin/app
httpd -p 8080 -h /www
while [ ! -s /tmp/cookie ]; do sleep 0.2; done
COOKIE=$(cat /tmp/cookie)
echo "captured: $COOKIE"
send() { timeout 10 nc "$DAEMON_ADDR" "$DAEMON_PORT"; }
# Host, Origin and Sec-Fetch-Site as the node's own page would send them: a program forges them at will.
rpc() {
  body="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":{}}"
  {
    printf 'POST /rpc/v1 HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\nSec-Fetch-Site: same-origin\r\nCookie: %s\r\n' "$DAEMON_HOST" "$DAEMON_HOST" "$COOKIE"
    if [ -n "$2" ]; then printf 'X-CSRF-Token: %s\r\n' "$2"; fi
    printf 'Content-Type: application/json\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "${'$'}{#body}" "$body"
  } | send | head -1 | tr -d '\r'
}
for method in $METHODS; do echo "rpc $method: $(rpc "$method" '')"; done
echo "control with the admin's token: $(rpc daemon-info "$CONTROL_CSRF")"
echo "ws: $(printf 'GET /ws HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: archy\r\nCookie: %s\r\n\r\n' "$DAEMON_HOST" "$DAEMON_HOST" "$COOKIE" | timeout 5 nc "$DAEMON_ADDR" "$DAEMON_PORT" | head -1 | tr -d '\r')"
echo "status: $(printf 'GET /auth/status HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nConnection: close\r\n\r\n' "$DAEMON_HOST" "$COOKIE" | send | tail -1)"
echo "logout: $(printf 'POST /auth/logout HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\nCookie: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' "$DAEMON_HOST" "$DAEMON_HOST" "$COOKIE" | send | head -1 | tr -d '\r')"
pw='{"current":"x","next":"Taken-over-password-1"}'
echo "password: $(printf 'POST /auth/password HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\nCookie: %s\r\nContent-Type: application/json\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "$DAEMON_HOST" "$DAEMON_HOST" "$COOKIE" "${'$'}{#pw}" "$pw" | send | head -1 | tr -d '\r')"
echo DONE
`;

describe('the web login against a real daemon', () => {
  let cookie: string;
  let csrf: string;

  it('first-run setup: refused without the code or with a wrong one, accepted with it, the code works once', async () => {
    const shown = await daemon.cli(['web', 'setup-code']);
    expect(shown.code, shown.stderr).toBe(0);
    const code = shown.stdout.trim();
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    // The daemon printed it at start and keeps it in a 0600 file.
    expect(daemon.log()).toContain(code);
    const file = setupCodeFilePath(daemon.dataDir);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(code);

    expect((await setUp({ password: PASSWORD })).status).toBe(403);
    expect((await setUp({ password: PASSWORD, setupCode: 'AAAA-AAAA-AAAA-AAAA' })).status).toBe(401);
    const accepted = await setUp({ password: PASSWORD, setupCode: code });
    expect(accepted.status, accepted.text).toBe(200);
    const again = await setUp({ password: 'Someone-elses-password-1', setupCode: code });
    expect(again.status).toBe(409);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    const after = await daemon.cli(['web', 'setup-code']);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/already set.*archy web password/);

    cookie = String(accepted.headers['set-cookie']).split(';')[0]!;
    csrf = (JSON.parse(accepted.text) as WebAuthSession).csrfToken;
    expect(cookie).toMatch(/^archy_session=/);
  });

  it('an app that receives the admin cookie can call no method with it', async () => {
    expect(cookie, 'the setup test must run first').toBeDefined();
    const appPort = await freePort();
    const daemonPort = new URL(daemon.url).port;
    const methods = Object.keys(rpcParamSchemas);
    await podman([
      'run',
      '--detach',
      '--name',
      containerName,
      ...Object.entries(testLabels()).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
      '--network',
      'slirp4netns:allow_host_loopback=true',
      '--publish',
      `127.0.0.1:${appPort}:8080`,
      '--env',
      `DAEMON_ADDR=${HOST_LOOPBACK_FROM_CONTAINER}`,
      '--env',
      `DAEMON_PORT=${daemonPort}`,
      '--env',
      `DAEMON_HOST=${new URL(daemon.url).host}`,
      '--env',
      `METHODS=${methods.join(' ')}`,
      // Not something an app could have: the positive control that proves the replay path works.
      '--env',
      `CONTROL_CSRF=${csrf}`,
      helloImage('1.0.0'),
      '/bin/sh',
      '-c',
      THIEF_SCRIPT,
    ]);

    // The admin opens the app's page: the browser sends the node's cookie along to its port.
    const visit = await waitFor(
      async () => {
        const answer = await http('GET', `http://127.0.0.1:${appPort}/cgi-bin/app`, {
          headers: { cookie },
        }).catch(() => undefined);
        return answer?.status === 200 ? answer : undefined;
      },
      { what: "the app's page to answer", timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(visit.text).toContain('thanks for the cookie');

    const output = await waitFor(
      async () => {
        const logs = await podman(['logs', containerName]);
        return logs.includes('DONE') ? logs : undefined;
      },
      { what: 'the app to finish replaying the cookie', timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(output).toContain(`captured: ${cookie}`);
    const lines = new Map(
      output
        .split('\n')
        .filter((line) => line.includes(': '))
        .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)] as const),
    );
    // Reachable, and a call with the token would have gone through: the refusals below are the rule at work.
    expect(lines.get("control with the admin's token")).toBe('HTTP/1.1 200 OK');
    for (const method of methods) expect(lines.get(`rpc ${method}`), method).toBe('HTTP/1.1 403 Forbidden');
    expect(lines.get('ws')).toBe('HTTP/1.1 403 Forbidden');
    expect(lines.get('status')).toBe('{"passwordSet":true,"authenticated":false}');
    expect(output).not.toContain(csrf); // the token reached the app only as the control's env
    expect(lines.get('logout')).toBe('HTTP/1.1 403 Forbidden');
    expect(lines.get('password')).toBe('HTTP/1.1 403 Forbidden');

    // The admin's own session is untouched: the replayed logout did not end it.
    const own = await http('POST', `${daemon.url}/rpc/v1`, {
      body: { jsonrpc: '2.0', id: 1, method: 'daemon-info' },
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(own.status).toBe(200);
  }, 180_000);

  it('archy web password resets the password from the CLI and ends every web session', async () => {
    const weak = await setPasswordFromCli('short');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/too short.*at least 12 characters/);
    const reset = await setPasswordFromCli('A-reset-from-the-node-2026');
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/web password set; 1 web session ended/);
    const old = await http('POST', `${daemon.url}/rpc/v1`, {
      body: { jsonrpc: '2.0', id: 1, method: 'daemon-info' },
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(old.status).toBe(401);
    const login = await http('POST', `${daemon.url}/auth/login`, {
      body: { password: 'A-reset-from-the-node-2026' },
    });
    expect(login.status).toBe(200);
  });
});
