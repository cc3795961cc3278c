import { runPodman } from '../../src/podman/cli.js';

/**
 * Runs the podman CLI for test set-up and checks (the daemon itself talks to the REST API): the
 * one podman CLI runner (src/podman/cli.ts), whose errors carry podman's reason, with a shorter default timeout.
 */
export const podman = (args: string[], options: { timeoutMs?: number } = {}): Promise<string> =>
  runPodman(args, { doing: 'test set-up', timeoutMs: options.timeoutMs ?? 120_000 }).then((r) => r.stdout);

export async function podmanJson<T>(args: string[]): Promise<T> {
  const text = await podman(args);
  return (text.trim() ? JSON.parse(text) : []) as T;
}
