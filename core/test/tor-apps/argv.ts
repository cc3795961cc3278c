// What a container runs, read back from Podman: its argv as `podman inspect` records it (behind the
// secret prelude, whose exec line holds the app's argv with each secret as "${NAME}"), and the
// argv of the running process as /proc shows it inside the container (the secrets filled in).

import { podman } from '../support/podman-cli.js';

/** The words of a /bin/sh exec line as the prelude writes them: '…' literals and "${NAME}" references, joined. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let at = 0;
  while (at < line.length) {
    const char = line[at]!;
    if (char === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
      at += 1;
    } else if (char === "'") {
      const end = line.indexOf("'", at + 1);
      word = (word ?? '') + line.slice(at + 1, end);
      at = end + 1;
      // '\'' is an embedded quote: the next quoted part continues the word.
      if (line.startsWith("\\'", at)) {
        word += "'";
        at += 2;
      }
    } else if (line.startsWith('"${', at)) {
      const end = line.indexOf('}"', at);
      word = (word ?? '') + line.slice(at + 1, end + 1);
      at = end + 2;
    } else
      throw new Error(`unexpected ${JSON.stringify(line.slice(at, at + 20))} in the prelude's exec line`);
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * The argv the container's main process is given, secrets as `${NAME}`: the secret prelude's
 * exec line unwrapped, and a Bitcoin node's rpcauth prelude (`/bin/sh -c … archy-rpcauth`) too.
 */
export async function mainArgv(container: string): Promise<string[]> {
  // Podman 4.3 joins .Config.Entrypoint into one string; .Path and .Args keep the words (behind
  // podman-init when the container has init: true, which Args starts with "--").
  const path = JSON.parse(await podman(['inspect', '--format', '{{json .Path}}', container])) as string;
  const args = JSON.parse(await podman(['inspect', '--format', '{{json .Args}}', container])) as
    string[] | null;
  let argv = path === '/run/podman-init' ? (args ?? []).slice(1) : [path, ...(args ?? [])];
  if (argv.at(-1) === 'archy-secret-refs') {
    const script = argv[2]!;
    // The first exec: the reads and exports before it hold no such text, the app's argv may.
    argv = shellWords(script.slice(script.indexOf('; exec ') + '; exec '.length));
  }
  if (argv[0] === '/bin/sh' && argv[3] === 'archy-rpcauth') argv = argv.slice(4);
  return argv;
}

/** The argv of the running process whose argv[0] ends in `program`, read inside the container. */
export async function runningArgv(container: string, program: string): Promise<string[]> {
  const out = await podman([
    'exec',
    container,
    '/bin/sh',
    '-c',
    // The image has busybox's sh and cat only: one line per process, its argv NUL-separated.
    'for p in /proc/[0-9]*; do cat $p/cmdline 2>/dev/null; echo; done',
  ]);
  const processes = out.split('\n').map((line) => line.split('\0').filter((arg) => arg !== ''));
  const found = processes.find((argv) => argv[0]?.endsWith(program));
  if (!found) throw new Error(`no ${program} process in ${container}`);
  return found;
}
