import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  controlPasswordMatches,
  generateControlPassword,
  hashControlPassword,
  s2kByteCount,
} from './control-password.js';

const run = promisify(execFile);
// Debian puts tor in /usr/sbin, which a non-root PATH may lack.
const TOR = '/usr/sbin/tor';

describe('the control password hash', () => {
  it('is tor’s format: 16:, 8 salt bytes, indicator 0x60 (65536 bytes hashed), a SHA-1', () => {
    expect(s2kByteCount(0x60)).toBe(65536);
    const hash = hashControlPassword('password', Buffer.from('0102030405060708', 'hex'));
    expect(hash).toMatch(/^16:010203040506070860[0-9A-F]{40}$/);
    expect(hashControlPassword('password')).not.toBe(hashControlPassword('password'));
  });

  it('matches what the real tor --hash-password makes from the same salt', async () => {
    const password = generateControlPassword();
    const { stdout } = await run(TOR, ['--quiet', '--hash-password', password]);
    const theirs = stdout.trim().split('\n').at(-1)!.trim();
    expect(theirs).toMatch(/^16:[0-9A-F]{16}60[0-9A-F]{40}$/);
    expect(hashControlPassword(password, Buffer.from(theirs.slice(3, 19), 'hex'))).toBe(theirs);
    expect(controlPasswordMatches(theirs, password)).toBe(true);
    expect(controlPasswordMatches(theirs, `${password}x`)).toBe(false);
  });

  it('makes 32-character passwords of letters and digits', () => {
    const passwords = new Set(Array.from({ length: 50 }, generateControlPassword));
    expect(passwords.size).toBe(50);
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
  });
});

describe('tor with a hash made here', () => {
  let tor: ChildProcess | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    if (tor?.exitCode === null) {
      const exited = new Promise((resolve) => tor!.once('exit', resolve));
      tor.kill('SIGKILL');
      await exited;
    }
    tor = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('accepts the right password on its control port and refuses a wrong one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'archy-tor-spec-'));
    const port = await freePort();
    const password = generateControlPassword();
    await writeFile(
      join(dir, 'torrc'),
      [
        'SocksPort 0',
        `ControlPort 127.0.0.1:${port}`,
        `HashedControlPassword ${hashControlPassword(password)}`,
        `DataDirectory ${join(dir, 'data')}`,
        'DisableNetwork 1',
        'Log notice stdout',
        '',
      ].join('\n'),
    );
    tor = spawn(TOR, ['--defaults-torrc', '/dev/null', '-f', join(dir, 'torrc')], { stdio: 'ignore' });
    expect(await controlAnswer(port, `AUTHENTICATE "${password}"`)).toMatch(/^250 OK/);
    expect(await controlAnswer(port, `AUTHENTICATE "${password}x"`)).toMatch(/^515 /);
  }, 30_000);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Tor's first answer line to one command; retries the connection while Tor is starting (bounded). */
async function controlAnswer(port: number, command: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const socket = createConnection({ host: '127.0.0.1', port });
        let text = '';
        socket.on('connect', () => socket.write(`${command}\r\n`));
        socket.on('data', (chunk) => {
          text += chunk.toString();
          if (text.includes('\r\n')) {
            socket.destroy();
            resolve(text.split('\r\n')[0]!);
          }
        });
        socket.on('error', reject);
      });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}
