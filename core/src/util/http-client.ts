import type { Dispatcher } from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import dispatchRequest from 'undici/lib/api/api-request.js';

// undici's connection pool and request API, loaded without undici's index. `import 'undici'`
// evaluates all of it — fetch, WebSocket, EventSource, caches, mocks, proxies — about 5 MB of
// idle RSS in a daemon that only ever sends plain requests (to Podman's socket, a registry, a
// catalog server). Everything here is undici's own code, the same that `request()` runs.

export type { Dispatcher };
export const Agent = AgentClass;
export type Agent = InstanceType<typeof AgentClass>;

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method?: Dispatcher.HttpMethod;
  /** The connection pool to use; a shared default one otherwise. */
  dispatcher?: Dispatcher;
};

let sharedAgent: Agent | undefined;

/** undici's `request(url, options)`: one HTTP request, its status, headers and streamed body. */
export function request(url: string | URL, options: RequestOptions = {}): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  const target = typeof url === 'string' ? new URL(url) : url;
  return dispatchRequest.call(dispatcher ?? (sharedAgent ??= new Agent()), {
    ...rest,
    origin: target.origin,
    path: `${target.pathname}${target.search}`,
    method: options.method ?? 'GET',
  });
}

/**
 * Reads a response body up to `limit` bytes. Past it the stream is destroyed and the answer is
 * undefined when `strict`, else what was read so far (enough of an error body to quote).
 */
export async function readLimited(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  strict: boolean,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > limit) {
      body.destroy();
      return strict ? undefined : Buffer.concat(chunks);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
