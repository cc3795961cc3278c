// Runs restic, the backup engine (README "Backups": why restic), as a child of the daemon — so as
// the daemon's own unprivileged user — and nothing else in the daemon spawns it. What every run
// promises:
// - the key is never on argv nor in the child's environment: it is written to a 0600 file in
//   `run/` that restic reads (RESTIC_PASSWORD_FILE), and removed when the child has exited;
// - the child ends with its caller: an AbortSignal kills its process group (it leads one) and the
//   call waits for the exit; and it is started under `setpriv --pdeathsig KILL`, so a SIGKILL of
//   the daemon ends it too (otherwise an orphaned restic would keep writing and hold the lock);
// - app data belongs to the containers' sub-uids (volumes are mounted `:U`, bitcoind's umask is
//   077), so a run that reads or writes it goes through `podman unshare`, where the daemon's user
//   is root over exactly those sub-uids and nothing else (`inUserNamespace`);
// - `--json` output is parsed line by line and handed to `onMessage` (progress, summary);
// - a failure is an ArchyError with restic's reason in the user's words (restic-errors.ts).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResticMessage } from './restic-message.js';
import { FAIL_FAST, resticFailure, type ResticFailureKind } from './restic-errors.js';

/** The binary; a test or an odd host may point elsewhere. */
export const RESTIC_BINARY_ENV = 'ARCHY_RESTIC';

/** How long a child has to stop after SIGTERM before it gets SIGKILL. */
const TERM_GRACE_MS = 5_000;

export type { ResticMessage };

export interface ResticRun {
  /** Everything after `restic` and the repository (e.g. `['backup', '--json', 'apps/x']`). */
  args: readonly string[];
  /** The repository (`-r`): a path, `rest:…`, `sftp:…`. */
  repository: string;
  /** The key that opens the repository (never on argv, never in the child's environment). */
  password: string;
  /** Where the password file is written (the data dir's `run/`), mode 0700. */
  runDir: string;
  cwd?: string;
  signal?: AbortSignal;
  /** Each JSON line of stdout, in order (with `--json`); other lines are kept as text. */
  onMessage?: (message: ResticMessage) => void;
  /** A second password file for `key add`/`copy` (restic's `--new-password-file`). */
  newPassword?: string;
  /** Run inside the rootless user namespace (`podman unshare`): to read or write app data. */
  inUserNamespace?: boolean;
}

export interface ResticOutput {
  stdout: string;
  stderr: string;
  messages: ResticMessage[];
}

/**
 * Runs restic once; resolves with its output when it exits 0, throws an ArchyError saying why
 * otherwise (an abort: `the backup job was cancelled`).
 */
export async function runRestic(run: ResticRun): Promise<ResticOutput> {
  await mkdir(run.runDir, { recursive: true, mode: 0o700 });
  const passwordFile = await writeSecretFile(run.runDir, 'key', run.password);
  const newPasswordFile =
    run.newPassword !== undefined ? await writeSecretFile(run.runDir, 'key', run.newPassword) : undefined;
  // From a file, not argv: a REST target's URL may hold a password, and argv is any local user's
  // to read (/proc/<pid>/cmdline).
  const repositoryFile = await writeSecretFile(run.runDir, 'repo', run.repository);
  try {
    const args = [
      '--repository-file',
      repositoryFile,
      ...run.args,
      ...(newPasswordFile ? ['--new-password-file', newPasswordFile] : []),
    ];
    const result = await spawnRestic(args, passwordFile, run).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        throw resticFailure({
          code: -1,
          stderr: '',
          repository: run.repository,
          failedFast: 'not-installed',
        });
      }
      throw error;
    });
    const { code, stdout, stderr, messages, aborted, failedFast } = result;
    if (aborted || failedFast || code !== 0) {
      throw resticFailure({
        code,
        // `check` reports what it found on stdout, the fatal line on stderr: both are the reason.
        stderr: `${stdout}${stderr}`,
        repository: run.repository,
        messages,
        aborted,
        ...(failedFast && { failedFast }),
      });
    }
    return { stdout, stderr, messages };
  } finally {
    await rm(passwordFile, { force: true });
    await rm(repositoryFile, { force: true });
    if (newPasswordFile) await rm(newPasswordFile, { force: true });
  }
}

const SECRET_FILE = /^restic-(key|repo)-[0-9a-f]{16}$/;

async function writeSecretFile(runDir: string, kind: 'key' | 'repo', text: string): Promise<string> {
  const path = join(runDir, `restic-${kind}-${randomBytes(8).toString('hex')}`);
  // 'wx': a fresh file, never someone else's; 0600 from the first byte.
  await writeFile(path, text, { mode: 0o600, flag: 'wx' });
  return path;
}

/**
 * Removes the key and repository files a killed daemon left in `run/` (they are removed after
 * every run; only a SIGKILL or a power cut between write and removal leaves one). At start.
 */
export async function removeLeftoverSecretFiles(runDir: string): Promise<string[]> {
  const names = await readdir(runDir).catch(() => [] as string[]);
  const left = names.filter((name) => SECRET_FILE.test(name));
  await Promise.all(left.map((name) => rm(join(runDir, name), { force: true })));
  return left;
}

/**
 * `setpriv --pdeathsig KILL`: the kernel ends the child when its parent dies, however it dies —
 * podman when the daemon dies, restic when podman does (a parent-death signal survives exec, so
 * each link of `daemon → podman unshare → restic` carries one).
 */
function commandLine(args: string[], inUserNamespace: boolean): { command: string; argv: string[] } {
  const restic = process.env[RESTIC_BINARY_ENV] ?? 'restic';
  const guarded = (argv: string[]) =>
    existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv] : argv;
  const argv = inUserNamespace
    ? guarded(['podman', 'unshare', ...guarded([restic, ...args])])
    : guarded([restic, ...args]);
  return { command: argv[0]!, argv: argv.slice(1) };
}

const SETPRIV = '/usr/bin/setpriv';

/** The daemon's environment without any restic setting it may carry (a password above all). */
function childEnvironment(passwordFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('RESTIC_') && !name.startsWith('ARCHY_')) env[name] = value;
  }
  return { ...env, LANG: 'C.UTF-8', RESTIC_PASSWORD_FILE: passwordFile };
}

function spawnRestic(
  args: string[],
  passwordFile: string,
  run: ResticRun,
): Promise<{
  code: number;
  stdout: string;
  stderr: string;
  messages: ResticMessage[];
  aborted: boolean;
  failedFast?: ResticFailureKind;
}> {
  return new Promise((resolve, reject) => {
    if (run.signal?.aborted) {
      resolve({ code: -1, stdout: '', stderr: '', messages: [], aborted: true });
      return;
    }
    const { command, argv } = commandLine(args, run.inUserNamespace ?? false);
    const child = spawn(command, argv, {
      cwd: run.cwd,
      // podman unshare needs the user's session (XDG_RUNTIME_DIR, HOME); restic its cache in HOME.
      env: childEnvironment(passwordFile),
      // The leader of a group of its own: an abort ends podman unshare and the restic below it.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const messages: ResticMessage[] = [];
    let aborted = false;
    let failedFast: ResticFailureKind | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    const stop = () => {
      if (child.pid === undefined || killTimer) return;
      // The group we started (restic removes its lock on SIGTERM); SIGKILL if it does not go in
      // time. The call waits for the exit either way.
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), TERM_GRACE_MS);
    };
    const onAbort = () => {
      aborted = true;
      stop();
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    const takeLine = (line: string) => {
      const trimmed = line.trim();
      if (trimmed === '') return;
      if (trimmed.startsWith('{')) {
        try {
          const message = JSON.parse(trimmed) as ResticMessage;
          messages.push(message);
          run.onMessage?.(message);
          return;
        } catch {
          // not JSON after all: kept as text below
        }
      }
      stdout += `${line}\n`;
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) takeLine(line);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      // Bounded: a failing check may print a line per damaged blob.
      if (stderr.length < 256 * 1024) stderr += chunk;
      // A full target: restic would retry each upload for minutes; the answer will not change.
      const fatal = FAIL_FAST.find(({ pattern }) => pattern.test(chunk));
      if (fatal && !failedFast) {
        failedFast = fatal.kind;
        stop();
      }
    });
    child.on('error', (error) => {
      run.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      run.signal?.removeEventListener('abort', onAbort);
      takeLine(partial);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout,
        stderr,
        messages,
        aborted,
        ...(failedFast && { failedFast }),
      });
    });
  });
}
