import { podmanCommand } from '../../src/pipeline/podman-command.js';

/**
 * Runs the podman CLI for test set-up and checks (the daemon itself talks to the REST API): the
 * image pipeline's runner, whose errors carry podman's reason, with a shorter default timeout.
 */
export const podman = (args: string[], options: { timeoutMs?: number } = {}): Promise<string> =>
  podmanCommand(args, { timeoutMs: options.timeoutMs ?? 120_000 });

export async function podmanJson<T>(args: string[]): Promise<T> {
  const text = await podman(args);
  return (text.trim() ? JSON.parse(text) : []) as T;
}
