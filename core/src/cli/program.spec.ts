import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpcErrorCode } from '../api/contract.js';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiServer } from '../api/server.js';
import { listen } from '../api/listen-address.js';
import type { AppLifecycle } from '../orchestrator/lifecycle.js';
import { runCli } from './program.js';

// archy run in-process. Only refusals and local work are tested here: the paths that reach an
// app (install, start, logs...) are tested end to end against the real daemon.

let dataDir: string;
let stdout = '';
let stderr = '';

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'archy-cli-'));
  stdout = '';
  stderr = '';
  vi.stubEnv('ARCHY_URL', undefined);
  vi.stubEnv('ARCHY_DATA_DIR', undefined);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await rm(dataDir, { recursive: true, force: true });
});

const archy = (...args: string[]) => runCli(['node', 'archy', ...args]);

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const HELLO = `id: hello
name: Hello
version: '1.0.0'
image: 127.0.0.1:5000/apps/hello:1.0.0
ports:
  - container: 8080
    host: 18080
`;

describe('archy: usage errors, one line on stderr, exit 1', () => {
  it('refuses --purge without --yes before contacting the daemon', async () => {
    expect(await archy('remove', 'hello', '--purge', '--data-dir', dataDir)).toBe(1);
    expect(stderr).toBe(
      `archy: --purge deletes the data dir of 'hello' (${dataDir}/apps/hello) for good; add --yes to confirm\n`,
    );
  });

  it('refuses a malformed app id', async () => {
    expect(await archy('start', 'Hello')).toBe(1);
    expect(stderr).toMatch(/^archy: .*'Hello' is not an app id: use 1-63 lowercase letters.*\n$/);
    expect(stderr.split('\n')).toHaveLength(2);
  });

  it('refuses an unknown command in one line', async () => {
    expect(await archy('lst')).toBe(1);
    expect(stderr).toMatch(/^archy: unknown command 'lst'.*\n$/);
    expect(stderr.split('\n')).toHaveLength(2);
  });

  it('refuses an install target that is neither an id nor a path', async () => {
    expect(await archy('install', 'Bitcoin Core', '--data-dir', dataDir)).toBe(1);
    expect(stderr).toMatch(/^archy: 'Bitcoin Core' is neither an app id nor a manifest path/);
  });

  it('refuses --tail 0 without --follow and a --tail over the limit', async () => {
    expect(
      await archy('logs', 'hello', '--tail', '0', '--data-dir', dataDir, '--url', 'http://127.0.0.1:1'),
    ).toBe(1);
    expect(stderr).toMatch(/^archy: --tail 0 prints nothing without --follow/);
    stderr = '';
    expect(await archy('logs', 'hello', '--tail', '10001')).toBe(1);
    expect(stderr).toMatch(/expected a whole number of lines from 0 to 10000/);
  });

  it('prints its version and exits 0', async () => {
    expect(await archy('--version')).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('archy: finding and authenticating to the daemon', () => {
  it('says the daemon is not running when the connection is refused', async () => {
    await writeFile(join(dataDir, '.cookie'), 'a'.repeat(64));
    const url = `http://127.0.0.1:${await closedPort()}`;
    expect(await archy('list', '--data-dir', dataDir, '--url', url)).toBe(1);
    expect(stderr).toBe(
      `archy: cannot reach the daemon at ${url}: is it running? start it with 'archy daemon --data-dir ${dataDir}'\n`,
    );
  });

  it('names the cookie file it could not read', async () => {
    expect(await archy('status', 'hello', '--data-dir', dataDir)).toBe(1);
    expect(stderr).toContain(`archy: cannot read the API token from ${join(dataDir, '.cookie')}`);
    expect(stderr).toContain("pass the daemon's --data-dir");
  });

  describe('against a real API server with another token', () => {
    let server: FastifyInstance;
    afterEach(async () => {
      await server.close();
    });

    it('says the token was refused and which cookie it came from (URL from run/daemon.json)', async () => {
      const lifecycleThatMustNotBeReached = new Proxy({} as AppLifecycle, {
        get: () => {
          throw new Error('the lifecycle was reached though the token is wrong');
        },
      });
      server = createApiServer({
        lifecycle: lifecycleThatMustNotBeReached,
        token: 'b'.repeat(64),
        logger: pino({ level: 'silent' }),
        info: {
          version: '0',
          dataDir,
          podman: { version: '0', rootless: true },
          startedAt: '',
          confinement: { apparmor: false, selinux: false, applied: 'none', notes: [] },
          unsignedRegistries: [],
        },
      });
      const url = await listen(server, '127.0.0.1:0');
      await mkdir(join(dataDir, 'run'));
      await writeFile(join(dataDir, 'run', 'daemon.json'), JSON.stringify({ url, pid: process.pid }));
      await writeFile(join(dataDir, '.cookie'), 'a'.repeat(64));

      expect(await archy('list', '--data-dir', dataDir)).toBe(1);
      expect(stderr).toBe(
        `archy: the daemon at ${url} refused the token from ${join(dataDir, '.cookie')}: it writes a new one at each start; pass the data dir of the daemon at that URL with --data-dir (or set ARCHY_DATA_DIR)\n`,
      );
    });
  });
});

describe('archy manifest lint (local, no daemon)', () => {
  it('prints ok: <id> <version>', async () => {
    const file = join(dataDir, 'manifest.yml');
    await writeFile(file, HELLO);
    expect(await archy('manifest', 'lint', file)).toBe(0);
    expect(stdout).toBe('ok: hello 1.0.0\n');
    expect(stderr).toBe('');
  });

  it('prints every issue with file:line:col and exits 1', async () => {
    const file = join(dataDir, 'bad.yml');
    await writeFile(
      file,
      HELLO.replace('id: hello', 'id: Hello').replace('name: Hello', 'name: Hello\nnmae: typo'),
    );
    expect(await archy('manifest', 'lint', file)).toBe(1);
    const lines = stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(new RegExp(`^${file}:\\d+:\\d+: `));
    expect(stdout).toBe('');
  });

  it('with --json prints the issues on stdout and nothing on stderr', async () => {
    const file = join(dataDir, 'bad.yml');
    await writeFile(file, HELLO.replace('id: hello', 'id: Hello'));
    expect(await archy('manifest', 'lint', file, '--json')).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, file, issues: [{ file, path: 'id' }] });
    expect(stderr).toBe('');
  });

  it("refuses provides that name a bundled app's id, and a user given by name", async () => {
    const file = join(dataDir, 'impostor.yml');
    await writeFile(
      file,
      `${HELLO.replace('id: hello', 'id: impostor')}provides: [bitcoin-node, bitcoin-core]\n`,
    );
    expect(await archy('manifest', 'lint', file)).toBe(1);
    expect(stderr).toBe(
      `${file}: provides[1]: 'bitcoin-core' is the id of a bundled app; an app may provide interfaces, never another app's id (it would answer for 'bitcoin-core')\n`,
    );
    await writeFile(file, `${HELLO}security: { user: "toor" }\n`);
    expect(await archy('manifest', 'lint', file)).toBe(1);
    expect(stderr).toMatch(/security\.user: 'toor' is a name; use numbers/);
  });

  it('names a file it cannot read', async () => {
    expect(await archy('manifest', 'lint', join(dataDir, 'nope.yml'))).toBe(1);
    expect(stderr).toBe(`archy: cannot read manifest ${join(dataDir, 'nope.yml')}: no such file\n`);
  });
});

describe('archy install <path>', () => {
  it("prints every issue of the daemon's manifest refusal, one file:line:col line each", async () => {
    const file = join(dataDir, 'bad.yml');
    await writeFile(file, HELLO.replace('id: hello', 'id: Hello'));
    await writeFile(join(dataDir, '.cookie'), 'a'.repeat(64));
    // Stands in for the daemon's answer (the real refusal is covered end to end in
    // test/daemon/bad-input.test.ts): what is under test is how archy prints it.
    const issues = [
      { file, line: 1, col: 5, path: 'id', message: 'expected an id' },
      { file, line: 4, col: 1, path: '', message: 'unknown key imgae', suggestion: 'image' },
    ];
    let received = '';
    const daemon = createHttpServer((request, response) => {
      request.on('data', (chunk: Buffer) => (received += chunk.toString()));
      request.on('end', () => {
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            error: { code: RpcErrorCode.InvalidManifest, message: 'first issue (+1 more)', data: { issues } },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => daemon.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = daemon.address() as AddressInfo;
      expect(await archy('install', file, '--data-dir', dataDir, '--url', `http://127.0.0.1:${port}`)).toBe(
        1,
      );
    } finally {
      daemon.close();
    }
    // The file's text went to the daemon, named as the user typed it.
    expect(JSON.parse(received)).toMatchObject({
      method: 'container-install',
      params: { manifestFile: file },
    });
    expect(stderr).toBe(
      `${file}:1:5: id: expected an id\n${file}:4:1: unknown key imgae (did you mean 'image'?)\n`,
    );
  });
});
