// `archy parmanode convert` and `archy parmanode run`: Parmanode's modules and scripts, on this
// machine, without the daemon. convert reads a module's bash as text; run executes a script in a
// throwaway rootless container as the invoking user (never on the host). Neither needs the daemon:
// the module, the script and the data dir are the user's own files, which the daemon (another
// user) may not be able to read, and a run's container belongs to no app for the daemon to supervise.

import { readFile, writeFile } from 'node:fs/promises';
import { CommanderError, Option, type Command } from 'commander';
import { CliError } from '../cli-error.js';
import { jsonOption } from '../client-options.js';
import { printJson, printText } from '../output.js';

const DEFAULT_TIMEOUT = '10m';

/** Adds `convert` and `run` to the `parmanode` command group. */
export function registerParmanodeToolCommands(parmanode: Command): void {
  parmanode
    .command('convert')
    .description(
      "turn a Parmanode module folder into a manifest skeleton and the list of what you must decide (reads the module's files, never runs them)",
    )
    .argument('<module-dir>', 'a Parmanode module folder, such as Parmanode/src/fulcrum')
    .option('--out <file>', 'write the manifest skeleton to this file instead of stdout')
    .addOption(jsonOption())
    .action(async (moduleDir: string, options: { out?: string; json: boolean }) => {
      const { convertModule, ModuleReadError } = await import('../../parmanode/convert/index.js');
      const result = await convertModule(moduleDir).catch((error: unknown) => {
        throw error instanceof ModuleReadError ? new CliError(error.message) : error;
      });
      if (options.out) await writeFile(options.out, result.manifestYaml, { mode: 0o644 });
      if (options.json) {
        const { id, manifestYaml, valid, problems, decisions, found } = result;
        printJson({ id, manifestYaml, valid, problems, decisions, found });
        return;
      }
      if (!options.out) printText(result.manifestYaml);
      else printText(`wrote ${options.out}`);
      const lines = [
        `${result.decisions.length} decision(s) before ${result.id} can be installed:`,
        ...result.decisions.map((d) => `  ${d.key}: ${d.why}`),
        result.valid
          ? 'the skeleton passes archy manifest lint as it is (the decisions above still stand)'
          : `the skeleton does not pass archy manifest lint yet: ${result.problems.join('; ')}`,
      ];
      process.stderr.write(`${lines.join('\n')}\n`);
    });

  parmanode
    .command('run')
    .description(
      "run a Parmanode-style script in a throwaway rootless container: only --data is mounted (at /data, also $HOME), no network unless --network, no capabilities, answers on stdin; exits with the script's status",
    )
    .argument('<script>', 'the bash script to run (mounted read-only)')
    .argument('[args...]', 'arguments for the script (after --)')
    .option(
      '--data <dir>',
      'the folder the script may read and write, mounted at /data (default: an empty throwaway /data)',
    )
    .option(
      '--network',
      "give the script a network of its own (it still cannot reach this machine's 127.0.0.1)",
      false,
    )
    .option('--answer <text>', "one line for the script's `read` (repeat, in order)", collect, [])
    .option('--answers <file>', 'a file of answers, one per line (- reads them from stdin)')
    .addOption(
      new Option(
        '--image <ref>',
        'the image with bash to run the script in (default: bash 5.3.20 pinned by digest)',
      ).env('ARCHY_PARMANODE_IMAGE'),
    )
    .option('--timeout <duration>', 'stop and remove the run after this long (30s, 5m, 1h)', DEFAULT_TIMEOUT)
    .action(
      async (
        script: string,
        args: string[],
        options: {
          data?: string;
          network: boolean;
          answer: string[];
          answers?: string;
          image?: string;
          timeout: string;
        },
      ) => {
        const { runParmanodeScript, ScriptRunError, DEFAULT_RUNNER_IMAGE, parseRunTimeout } =
          await import('../../parmanode/run/index.js');
        const timeoutMs = parseRunTimeout(options.timeout);
        if (timeoutMs === undefined)
          throw new CliError(`--timeout ${options.timeout}: give a duration such as 30s, 5m or 1h`);
        const answers = [...options.answer, ...(options.answers ? await readAnswers(options.answers) : [])];
        // Ctrl-C ends the run and removes its container; then we exit 130 as a shell would.
        const abort = new AbortController();
        const onSigint = () => abort.abort();
        process.once('SIGINT', onSigint);
        process.once('SIGTERM', onSigint);
        try {
          const result = await runParmanodeScript({
            script,
            scriptArgs: args,
            ...(options.data !== undefined ? { dataDir: options.data } : {}),
            network: options.network,
            answers,
            image: options.image ?? DEFAULT_RUNNER_IMAGE,
            timeoutMs,
            onStdout: (chunk) => process.stdout.write(chunk),
            onStderr: (chunk) => process.stderr.write(chunk),
            signal: abort.signal,
          }).catch((error: unknown) => {
            throw error instanceof ScriptRunError ? new CliError(error.message) : error;
          });
          if (result.ended === 'timeout') {
            process.stderr.write(
              `archy: ${script} did not finish within ${options.timeout}; it was stopped and its container removed\n`,
            );
            exitWith(124);
          }
          if (result.ended === 'aborted') {
            process.stderr.write(`archy: ${script} was interrupted; its container was removed\n`);
            exitWith(130);
          }
          if (result.exitCode !== 0)
            process.stderr.write(`archy: ${script} exited with status ${result.exitCode}\n`);
          exitWith(result.exitCode);
        } finally {
          process.off('SIGINT', onSigint);
          process.off('SIGTERM', onSigint);
        }
      },
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function readAnswers(file: string): Promise<string[]> {
  const text =
    file === '-'
      ? await readStdin()
      : await readFile(file, 'utf8').catch(() => {
          throw new CliError(`cannot read the answers file ${file}; give a file with one answer per line`);
        });
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Ends the command with `code` and nothing more on stderr: runCli returns a CommanderError's exit
 * code as is (it is how commander's own exits pass through), which is what lets `archy parmanode
 * run` exit with the script's status.
 */
function exitWith(code: number): void {
  if (code === 0) return;
  throw new CommanderError(code, 'archy.parmanode.run.exit', '');
}
