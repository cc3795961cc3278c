import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runProbe, type ProbeTarget } from './probe.js';

const run = promisify(execFile);

/**
 * A ProbeTarget whose `exec` runs the command on this machine instead of in a container: the
 * probe's reading of exit codes and output is what is under test here (the container side is
 * covered by the daemon's integration tests).
 */
const localTarget: ProbeTarget = {
  hostPortFor: () => undefined,
  async exec(command, timeoutMs) {
    try {
      const { stdout, stderr } = await run(command[0]!, command.slice(1), { timeout: timeoutMs });
      return { exitCode: 0, output: stdout + stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { exitCode: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  },
};

const answer = (json: object): string[] => ['/bin/sh', '-c', `printf '%s\\n' '${JSON.stringify(json)}'`];

describe('runProbe: bitcoin', () => {
  it('is healthy when the node answers getblockchaininfo, and carries its sync', async () => {
    const result = await runProbe(
      {
        bitcoinRpc: {
          command: answer({
            chain: 'regtest',
            blocks: 3,
            headers: 5,
            verificationprogress: 0.5,
            initialblockdownload: true,
            pruned: false,
          }),
        },
        timeout: 5000,
      },
      localTarget,
    );
    expect(result).toMatchObject({
      ok: true,
      detail: 'regtest: synced 50.0 %, block 3 of 5 (initial block download)',
      sync: {
        chain: 'regtest',
        blocks: 3,
        headers: 5,
        verificationProgress: 0.5,
        initialBlockDownload: true,
      },
    });
  });

  it('fails with bitcoin-cli’s own reason while RPC is not ready', async () => {
    const result = await runProbe(
      {
        bitcoinRpc: {
          command: ['/bin/sh', '-c', 'echo "error code: -28"; echo "Loading block index…" >&2; exit 28'],
        },
        timeout: 5000,
      },
      localTarget,
    );
    expect(result.ok).toBe(false);
    expect(result.detail).toBe('bitcoin RPC not answering (exit 28): Loading block index…');
    expect(result.sync).toBeUndefined();
  });

  it('fails when something other than bitcoind answers', async () => {
    const result = await runProbe(
      { bitcoinRpc: { command: ['/bin/echo', 'hello'] }, timeout: 5000 },
      localTarget,
    );
    expect(result).toMatchObject({
      ok: false,
      detail: 'bitcoin RPC answered something other than getblockchaininfo: hello',
    });
  });
});
