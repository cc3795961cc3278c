import { readLimited, redirectTarget, request } from '../util/http-client.js';
import { catalogRefused } from './catalog-error.js';

export interface FetchMetadataOptions {
  timeoutMs: number;
  maxBytes: number;
  /** A 404 answers undefined instead of failing (the next root version usually doesn't exist). */
  missingOk: boolean;
}

/**
 * GETs one catalog metadata file and parses it as JSON. Any host may serve it — the signatures
 * checked afterwards are what make it trustworthy — but a redirect never goes from HTTPS to
 * plain HTTP, and no more than `maxBytes` is read.
 */
export async function fetchMetadata(url: string, options: FetchMetadataOptions): Promise<unknown> {
  let target = new URL(url);
  const visited = [target.href];
  const signal = AbortSignal.timeout(options.timeoutMs);
  for (;;) {
    const response = await request(target, { signal }).catch((err: unknown) => {
      throw signal.aborted ? new Error(`${url} did not answer within ${options.timeoutMs} ms`) : err;
    });
    if (response.statusCode >= 300 && response.statusCode < 400 && response.statusCode !== 304) {
      await response.body.dump();
      const location = response.headers.location;
      const hop = redirectTarget(target, typeof location === 'string' ? location : undefined, visited);
      if ('refused' in hop) throw new Error(`${url} ${hop.refused}`);
      target = hop.next;
      visited.push(target.href);
      continue;
    }
    if (response.statusCode === 404 && options.missingOk) {
      await response.body.dump();
      return undefined;
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      await response.body.dump();
      throw new Error(`${url} answered HTTP ${response.statusCode}`);
    }
    const body = await readLimited(response.body, options.maxBytes, true);
    if (!body) throw new Error(`${url} is larger than ${options.maxBytes} bytes`);
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw catalogRefused('malformed', `${url} is not JSON`);
    }
  }
}
