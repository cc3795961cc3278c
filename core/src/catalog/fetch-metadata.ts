import { readLimited, request } from '../util/http-client.js';
import { catalogRefused } from './catalog-error.js';

/** Static hosting hands files on (HTTP → HTTPS, a CDN); more hops than this is a loop. */
const MAX_REDIRECTS = 5;

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
  const signal = AbortSignal.timeout(options.timeoutMs);
  for (let hop = 0; ; hop += 1) {
    const response = await request(target, { signal }).catch((err: unknown) => {
      throw signal.aborted ? new Error(`${url} did not answer within ${options.timeoutMs} ms`) : err;
    });
    const location = response.headers.location;
    if (response.statusCode >= 300 && response.statusCode < 400 && typeof location === 'string') {
      await response.body.dump();
      const next = new URL(location, target);
      if (hop >= MAX_REDIRECTS) throw new Error(`${url} redirects more than ${MAX_REDIRECTS} times`);
      if (target.protocol === 'https:' && next.protocol !== 'https:')
        throw new Error(`${url} redirects from HTTPS to ${next.protocol}; refusing the downgrade`);
      target = next;
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
