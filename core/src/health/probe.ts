import { connect } from 'node:net';
import { get } from 'node:http';
import type { ChainSync, ProbeResult } from '../kernel/index.js';
import {
  judgeRpcAnswer,
  MAX_ANSWER_BYTES,
  parseRawHttpResponse,
  postGetBlockchainInfo,
  rawGetBlockchainInfoRequest,
  type RpcCredentials,
  type RpcVerdict,
} from './bitcoin-rpc-call.js';
import { describeSync } from './bitcoin-sync.js';
import type { ExecOutcome } from './container-exec.js';
import { firstHttpStatus, ncArgv, wgetArgv, type BoundedInput, type CommandOutcome } from './netns-probe.js';

/** A health check as the manifest declares it, durations in milliseconds. */
export interface ProbeSpec {
  http?: { port: number; path: string; status?: number };
  tcp?: { port: number };
  exec?: { command: string[] };
  /** `getblockchaininfo` over the node's JSON-RPC, on this container port (see bitcoinRpcPort). */
  bitcoinRpc?: { port: number };
  timeout: number;
}

/**
 * How a probe reaches the app: through its published host port; else from inside its network
 * namespace (a host binary run there, see netns-probe.ts); or by a command inside the container
 * (container-exec.ts).
 */
export interface ProbeTarget {
  /** The host port publishing `containerPort`, if any. */
  hostPortFor(containerPort: number): number | undefined;
  /** Runs the command inside the container, bounded by `timeoutMs`; nothing of it outlives it. */
  exec(command: string[], timeoutMs: number): Promise<ExecOutcome>;
  /** Runs a host command in the container's network namespace; absent where that can't be done. */
  inNetns?(argv: string[], timeoutMs: number, options?: BoundedInput): Promise<CommandOutcome>;
  /** A Bitcoin node's RPC credentials, as the daemon generated them; absent or undefined if none. */
  bitcoinRpcCredentials?(): Promise<RpcCredentials | undefined>;
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
      const { exitCode, output, timedOut } = await target.exec(spec.exec.command, spec.timeout);
      if (timedOut) return finish(false, `exec did not finish within ${spec.timeout} ms and was stopped`);
      const tail = lastLine(output);
      return finish(exitCode === 0, `exec exited ${exitCode}${tail ? `: ${tail}` : ''}`);
    }
    if (spec.bitcoinRpc) {
      const answer = await askBitcoinRpc(spec.bitcoinRpc.port, target, spec.timeout);
      if ('sync' in answer) return { ...finish(true, describeSync(answer.sync)), sync: answer.sync };
      return finish(false, answer.detail);
    }
    return finish(false, 'no probe kind configured');
  } catch (error) {
    return finish(false, describeFailure(error, spec.timeout));
  }
}

/**
 * getblockchaininfo from the node: over its published RPC port from the daemon itself when there
 * is one (no process at all), else — or when the node refuses the forwarded connection — inside
 * its network namespace, one short nc that carries the request.
 *
 * The node's own generated credentials (user and rpc-password from the SecretStore, see
 * orchestrator/bitcoin-rpc.ts), not a probe-only rpcauth user limited by -rpcwhitelist: a
 * whitelist switches on whitelisting for every user (-rpcwhitelistdefault), so it would have to
 * list every call of every other client, and adding the user means a new bitcoind argv — every
 * existing node recreated. It would protect nothing from the daemon either, which generated and
 * holds the password anyway. The password only travels over loopback (the host's, or the app's
 * own inside its namespace) and never on a command line.
 */
async function askBitcoinRpc(
  port: number,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<{ sync: ChainSync } | { detail: string }> {
  const credentials = await target.bitcoinRpcCredentials?.();
  if (!credentials) {
    return {
      detail:
        "no RPC credentials for this node in Archipelago's secret store; remove the app (without --purge) and install it again, which makes them",
    };
  }
  const hostPort = target.hostPortFor(port);
  if (hostPort !== undefined) {
    let verdict: RpcVerdict;
    try {
      verdict = judgeRpcAnswer(await postGetBlockchainInfo(hostPort, credentials, timeoutMs));
    } catch (error) {
      verdict = {
        ok: false,
        detail: describeFailure(error, timeoutMs),
        ...(isConnectionFailure(error) && { connectionRefused: true }),
      };
    }
    // Podman's port forwarder connects from the container's own address, which a node bound to
    // its loopback only (no -rpcbind) or not allowed by -rpcallowip refuses; from inside the
    // namespace the probe comes from 127.0.0.1, which bitcoind always allows.
    if (verdict.ok) return { sync: verdict.sync };
    if (!verdict.connectionRefused || !target.inNetns) return { detail: verdict.detail };
  }
  const outcome = await insideNetns(target, ncArgv(port, timeoutMs), port, timeoutMs, {
    input: rawGetBlockchainInfoRequest(port, credentials),
    maxOutput: MAX_ANSWER_BYTES,
  });
  const answer = outcome.timedOut ? undefined : parseRawHttpResponse(outcome.output);
  if (!answer) return { detail: failureInside(outcome, timeoutMs) };
  const verdict = judgeRpcAnswer(answer);
  return verdict.ok ? { sync: verdict.sync } : { detail: `${verdict.detail} (inside the app's network)` };
}

const isConnectionFailure = (error: unknown): boolean => {
  const err = error as NodeJS.ErrnoException;
  return err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' || err.code === 'EPIPE';
};

/** The last line of a command's output, bounded: enough to say why, never a whole log. */
function lastLine(output: string): string {
  return (output.trim().split('\n').slice(-1)[0] ?? '').slice(0, 200);
}

function insideNetns(
  target: ProbeTarget,
  argv: string[],
  containerPort: number,
  timeoutMs: number,
  options?: BoundedInput,
): Promise<CommandOutcome> {
  if (!target.inNetns) {
    throw new Error(
      `container port ${containerPort} is not published and this host cannot probe inside the app's network; publish it in the manifest's ports`,
    );
  }
  return target.inNetns(argv, timeoutMs, options);
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
