import { connect } from 'node:net';
import { get } from 'node:http';
import type { ProbeResult } from '../api/contract.js';
import { describeSync, parseBlockchainInfo } from './bitcoin-sync.js';
import { firstHttpStatus, ncArgv, wgetArgv, type CommandOutcome } from './netns-probe.js';

/** A health check as the manifest declares it, durations in milliseconds. */
export interface ProbeSpec {
  http?: { port: number; path: string; status?: number };
  tcp?: { port: number };
  exec?: { command: string[] };
  /** `bitcoin-cli getblockchaininfo` run inside the container (see bitcoinCliCommand). */
  bitcoinRpc?: { command: string[] };
  timeout: number;
}

/**
 * How a probe reaches the app: through its published host port; else from inside its network
 * namespace (a host binary run there, see netns-probe.ts); or by exec inside the container.
 */
export interface ProbeTarget {
  /** The host port publishing `containerPort`, if any. */
  hostPortFor(containerPort: number): number | undefined;
  exec(command: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  /** Runs a host command in the container's network namespace; absent where that can't be done. */
  inNetns?(argv: string[], timeoutMs: number): Promise<CommandOutcome>;
}

export async function runProbe(spec: ProbeSpec, target: ProbeTarget): Promise<ProbeResult> {
  const started = Date.now();
  const finish = (ok: boolean, detail: string): ProbeResult => ({
    at: new Date(started).toISOString(),
    ok,
    detail,
    durationMs: Date.now() - started,
  });
  try {
    if (spec.http) {
      const { port, path, status } = spec.http;
      const hostPort = target.hostPortFor(port);
      let statusCode: number;
      let where = '';
      if (hostPort !== undefined) {
        statusCode = await httpStatus(hostPort, path, spec.timeout);
      } else {
        const outcome = await insideNetns(target, wgetArgv(port, path), port, spec.timeout);
        const answered = firstHttpStatus(outcome.output);
        if (answered === undefined) return finish(false, failureInside(outcome, spec.timeout));
        statusCode = answered;
        where = " (inside the app's network)";
      }
      const ok = status === undefined ? statusCode < 400 : statusCode === status;
      return finish(ok, `HTTP ${statusCode} from :${port}${path}${where}`);
    }
    if (spec.tcp) {
      const { port } = spec.tcp;
      const hostPort = target.hostPortFor(port);
      if (hostPort !== undefined) {
        await tcpConnect(hostPort, spec.timeout);
        return finish(true, `TCP connect to :${port} succeeded`);
      }
      const outcome = await insideNetns(target, ncArgv(port, spec.timeout), port, spec.timeout);
      if (outcome.exitCode !== 0) return finish(false, failureInside(outcome, spec.timeout));
      return finish(true, `TCP connect to :${port} succeeded (inside the app's network)`);
    }
    if (spec.exec) {
      const { exitCode, output } = await target.exec(spec.exec.command, spec.timeout);
      const tail = lastLine(output);
      return finish(exitCode === 0, `exec exited ${exitCode}${tail ? `: ${tail}` : ''}`);
    }
    if (spec.bitcoinRpc) {
      const { exitCode, output } = await target.exec(spec.bitcoinRpc.command, spec.timeout);
      if (exitCode !== 0)
        return finish(false, `bitcoin RPC not answering (exit ${exitCode}): ${lastLine(output)}`);
      const sync = parseBlockchainInfo(output);
      if (!sync)
        return finish(
          false,
          `bitcoin RPC answered something other than getblockchaininfo: ${lastLine(output)}`,
        );
      return { ...finish(true, describeSync(sync)), sync };
    }
    return finish(false, 'no probe kind configured');
  } catch (error) {
    return finish(false, describeFailure(error, spec.timeout));
  }
}

/** The last line of a command's output, bounded: enough to say why, never a whole log. */
function lastLine(output: string): string {
  return (output.trim().split('\n').slice(-1)[0] ?? '').slice(0, 200);
}

function insideNetns(
  target: ProbeTarget,
  argv: string[],
  containerPort: number,
  timeoutMs: number,
): Promise<CommandOutcome> {
  if (!target.inNetns) {
    throw new Error(
      `container port ${containerPort} is not published and this host cannot probe inside the app's network; publish it in the manifest's ports`,
    );
  }
  return target.inNetns(argv, timeoutMs);
}

/** Why a probe run inside the namespace failed, in the words the other probes use. */
function failureInside(outcome: CommandOutcome, timeoutMs: number): string {
  if (outcome.timedOut) return `no answer within ${timeoutMs} ms`;
  if (/connection refused/i.test(outcome.output)) return 'connection refused';
  if (/failed to execute/.test(outcome.output)) {
    return `cannot probe inside the app's network (${lastLine(outcome.output)}); run scripts/host-setup.sh, which installs busybox-static`;
  }
  return lastLine(outcome.output) || `probe exited ${outcome.exitCode}`;
}

/**
 * One GET, its status code, the body discarded. node:http rather than undici: a probe is a
 * single request to a server that usually closes the connection (busybox httpd does), and
 * node:http does that with a fraction of the CPU, which adds up with dozens of apps.
 */
function httpStatus(port: number, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })),
    );
    req.on('error', reject);
  });
}

function tcpConnect(port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = err.code ?? err.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset';
  if (err.name === 'TimeoutError') {
    return `no answer within ${timeoutMs} ms`;
  }
  return err.message;
}
