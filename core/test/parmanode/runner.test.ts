// `archy parmanode run` and scripts/parmanode-wrapper.sh against real rootless Podman: a script
// that tries to reach the host — a file the test planted outside the data dir, the root
// filesystem, a server on 127.0.0.1, the host's processes, root through a setuid binary — gets
// none of it; what it writes to /data lands in the data dir; its answers, output and exit status
// come back; a timeout or Ctrl-C removes its container.

import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARMANODE_DATA_LABEL } from '../../src/parmanode/run/index.js';
import { CLI_PATH, type CliResult } from '../support/daemon-harness.js';
import { tempDataDir, testRoot, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { trackProcess } from '../support/test-processes.js';
import { buildRunnerTestImage } from './runner-image.js';

const WRAPPER = fileURLToPath(new URL('../../../scripts/parmanode-wrapper.sh', import.meta.url));
/** A host process the script must not see: `sleep` with an argument nothing else uses. */
const MARKER_SECONDS = '3599.173';

let image: string;
let workDir: string;
let hostSecret: string;
let server: Server;
let serverPort: number;
let connections = 0;

/** The built CLI with `stdin` as its input (closed at once when absent). */
function archy(
  args: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv; onStdout?: (text: string) => void } = {},
) {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackProcess(child, `archy ${args.join(' ')}`);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(stdout);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? '');
  const done = new Promise<CliResult>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? -1 : 1), stdout, stderr })),
  );
  return { child, done };
}

const run = (args: string[], options: { stdin?: string } = {}): Promise<CliResult> =>
  archy(['parmanode', 'run', '--image', image, ...args], options).done;

function writeScript(name: string, body: string): string {
  const path = join(workDir, name);
  writeFileSync(path, `#!/bin/bash\n${body}\n`, { mode: 0o644 });
  return path;
}

/** Containers a run with this data dir left (there must be none). */
async function leftContainers(dataDir: string): Promise<string[]> {
  const out = await podman([
    'ps',
    '-a',
    '--filter',
    `label=${PARMANODE_DATA_LABEL}=${dataDir}`,
    '--format',
    '{{.Names}}',
  ]);
  return out.split('\n').filter(Boolean);
}

beforeAll(async () => {
  workDir = tempDataDir('parmanode-run');
  image = await buildRunnerTestImage(workDir);
  hostSecret = join(workDir, 'host-secret.txt');
  writeFileSync(hostSecret, 'the host secret\n');
  server = createServer((socket) => {
    connections += 1;
    socket.end('hello from the host\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverPort = (server.address() as { port: number }).port;
  trackProcess(spawn('sleep', [MARKER_SECONDS], { stdio: 'ignore' }), 'marker sleep');
}, 180_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  // Anything a failed test left behind, by the label that names a data dir of this run.
  const all = await podman([
    'ps',
    '-a',
    '--filter',
    `label=${PARMANODE_DATA_LABEL}`,
    '--format',
    `{{.ID}} {{index .Labels "${PARMANODE_DATA_LABEL}"}}`,
  ]);
  const ours = all.split('\n').filter((line) => line.split(' ')[1]?.startsWith(testRoot()));
  if (ours.length > 0) await podman(['rm', '--force', '--time', '0', ...ours.map((l) => l.split(' ')[0]!)]);
});

describe('archy parmanode run', () => {
  it('gives the script no host access: files, root filesystem, 127.0.0.1, processes, privileges', async () => {
    const data = tempDataDir('parmanode-data');
    const script = writeScript(
      'escape.sh',
      [
        'echo "uid=$(id -u) home=$HOME pwd=$(pwd)"',
        'if cat "$1" 2>/dev/null; then echo HOST-FILE-READ; else echo host-file-unreadable; fi',
        'if touch /etc/escape 2>/dev/null; then echo WROTE-ROOT; else echo root-read-only; fi',
        'if touch /parmanode/escape 2>/dev/null; then echo WROTE-SCRIPT; else echo script-read-only; fi',
        'if nc -w 3 127.0.0.1 "$2" </dev/null 2>/dev/null; then echo CONNECTED; else echo no-connection; fi',
        'echo "ps:"; ps; echo "ps-end"',
        'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status',
        'echo "suid-euid=$(/suid/id -u)"',
        'echo hello > /data/written',
        'if chown 0:0 /data/written 2>/dev/null; then echo CHOWNED; else echo chown-refused; fi',
        'echo "ifaces=$(ls /sys/class/net)"',
        'exit 3',
      ].join('\n'),
    );
    const result = await run(['--data', data, script, '--', hostSecret, String(serverPort)]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(`exited with status 3`);
    const out = result.stdout;
    const uid = process.getuid!();
    expect(out).toContain(`uid=${uid} home=/data pwd=/data`);
    expect(uid).not.toBe(0);
    expect(out).toContain('host-file-unreadable');
    expect(out).not.toContain('the host secret');
    expect(out).toContain('root-read-only');
    expect(out).toContain('script-read-only');
    expect(out).toContain('no-connection');
    expect(connections).toBe(0);
    const ps = out.slice(out.indexOf('ps:'), out.indexOf('ps-end'));
    expect(ps).toContain('/parmanode/escape.sh');
    expect(ps).not.toContain(MARKER_SECONDS);
    expect(ps.trim().split('\n').length).toBeLessThan(8);
    expect(out).toMatch(/CapEff:\s+0000000000000000/);
    expect(out).toMatch(/NoNewPrivs:\s+1/);
    expect(out).toContain(`suid-euid=${uid}`);
    expect(out).toContain('chown-refused');
    expect(out).toMatch(/ifaces=lo\s*$/m);
    // The one thing it may write, in the data dir, owned by the user who ran it.
    expect(readFileSync(join(data, 'written'), 'utf8')).toBe('hello\n');
    expect(statSync(join(data, 'written')).uid).toBe(uid);
    expect(() => statSync(join(workDir, 'escape'))).toThrow();
    expect(await leftContainers(data)).toEqual([]);
  }, 120_000);

  it("feeds --answer and --answers to the script's read, then end of input", async () => {
    const data = tempDataDir('parmanode-answers');
    const answersFile = join(workDir, 'answers.txt');
    writeFileSync(answersFile, 'mainnet\n');
    const script = writeScript('ask.sh', 'read -r a; read -r b; read -r c || c=EOF; echo "a=$a b=$b c=$c"');
    const result = await run(['--data', data, '--answer', 'yes please', '--answers', answersFile, script]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('a=yes please b=mainnet c=EOF\n');
    expect(result.stderr).toBe('');
  }, 60_000);

  it('stops a script at --timeout, exits 124 and leaves no container', async () => {
    const data = tempDataDir('parmanode-timeout');
    const script = writeScript('hang.sh', 'echo started; sleep 300; echo NEVER');
    const started = Date.now();
    const result = await run(['--data', data, '--timeout', '2s', script]);
    expect(result.code).toBe(124);
    expect(result.stdout).toContain('started');
    expect(result.stdout).not.toContain('NEVER');
    expect(result.stderr).toMatch(/did not finish within 2s; it was stopped and its container removed/);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await leftContainers(data)).toEqual([]);
  }, 90_000);

  it('on Ctrl-C (SIGINT) removes the container and exits 130', async () => {
    const data = tempDataDir('parmanode-sigint');
    const script = writeScript('wait.sh', 'echo started; sleep 300');
    let sawStart = false;
    const { child, done } = archy(['parmanode', 'run', '--image', image, '--data', data, script], {
      onStdout: (text) => (sawStart ||= text.includes('started')),
    });
    await waitFor(() => sawStart, { timeoutMs: 60_000, what: 'the script to start' });
    expect(await leftContainers(data)).toHaveLength(1);
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/was interrupted; its container was removed/);
    expect(await leftContainers(data)).toEqual([]);
  }, 90_000);

  it("with --network the script gets a network of its own, and still not the host's 127.0.0.1", async () => {
    const data = tempDataDir('parmanode-network');
    const script = writeScript(
      'net.sh',
      'echo "ifaces=$(ls /sys/class/net | grep -v ^lo$ | head -1)"; if nc -w 3 127.0.0.1 "$1" </dev/null; then echo CONNECTED; else echo no-connection; fi',
    );
    const result = await run(['--data', data, '--network', script, '--', String(serverPort)]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ifaces=\S+/);
    expect(result.stdout).toContain('no-connection');
    expect(connections).toBe(0);
  }, 60_000);

  it('refuses what it cannot run, before starting anything', async () => {
    const missing = await run([join(workDir, 'no-such-script.sh')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^archy: .*is not a file; give the path of the script to run\n$/);
    const script = writeScript('ok.sh', 'true');
    const badData = await run(['--data', join(workDir, 'no-such-dir'), script]);
    expect(badData.stderr).toMatch(/is not a folder; create the data folder first/);
    const badTimeout = await run(['--timeout', 'soon', script]);
    expect(badTimeout.code).not.toBe(0);
    expect(badTimeout.stderr).toMatch(/give a duration such as 30s/);
  }, 60_000);
});

describe('scripts/parmanode-wrapper.sh', () => {
  it('runs the script through archy parmanode run: arguments, piped answers, data dir, exit status', async () => {
    const data = tempDataDir('parmanode-wrapper');
    const script = writeScript(
      'setup.sh',
      'read -r answer; echo "arg=$1 answer=$answer" | tee /data/setup.log; exit 5',
    );
    const result = await new Promise<CliResult>((resolve) => {
      const child = spawn('sh', [WRAPPER, script, 'first-arg'], {
        env: {
          ...process.env,
          ARCHY: `${process.execPath} ${CLI_PATH}`,
          PARMANODE_DATA: data,
          PARMANODE_IMAGE: image,
          PARMANODE_TIMEOUT: '60s',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      trackProcess(child, 'parmanode-wrapper.sh');
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdin.end('from the pipe\n');
      child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    expect(result.stdout).toBe('arg=first-arg answer=from the pipe\n');
    expect(result.code, result.stderr).toBe(5);
    expect(readFileSync(join(data, 'setup.log'), 'utf8')).toBe('arg=first-arg answer=from the pipe\n');
    expect(await leftContainers(data)).toEqual([]);
  }, 60_000);
});
