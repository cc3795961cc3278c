// restic run by a test itself, with a key the test holds: to look into what the daemon wrote
// (`ls`, `dump`, `snapshots`) or to make a repository the daemon's key does not open.

import { spawn } from 'node:child_process';

export interface ResticResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export function restic(
  repository: string,
  key: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<ResticResult> {
  return new Promise((resolve, reject) => {
    const { RESTIC_PASSWORD_FILE: _file, ...env } = process.env;
    const child = spawn('restic', ['-r', repository, ...args], {
      env: { ...env, RESTIC_PASSWORD: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`restic ${args.join(' ')} did not finish within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr });
    });
  });
}

/** restic that must succeed: its stdout. */
export async function resticOk(repository: string, key: string, args: string[]): Promise<Buffer> {
  const result = await restic(repository, key, args);
  if (result.code !== 0)
    throw new Error(`restic ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}
