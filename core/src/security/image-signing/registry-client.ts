import {
  readLimited,
  request,
  type Agent,
  type HttpMethod,
  type ResponseData,
} from '../../util/http-client.js';
import { ArchyError, RpcErrorCode } from '../../kernel/index.js';
import { registryApiHost } from '../../util/image-reference.js';
import { isDigest, sha256Digest, type Digest } from './digest.js';
import { MANIFEST_MEDIA_TYPES } from './media-types.js';

export interface RegistryClientOptions {
  /** `host[:port]` of the registry, e.g. `127.0.0.1:5000` (`docker.io` means Docker Hub's API host). */
  registry: string;
  /**
   * Talk plain HTTP. Only for registries the operator listed as insecure
   * (ARCHY_INSECURE_REGISTRIES); there is deliberately no fallback from HTTPS to HTTP.
   */
  insecure: boolean;
  /** Per request; a registry that stalls must not hang an install. Default 30 s. */
  timeoutMs?: number;
  /** A connection pool; the shared one by default. */
  agent?: Agent;
}

/** A manifest exactly as served, with the digest we computed over its bytes. */
export interface FetchedManifest {
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
}

/** Distribution caps manifests at 4 MiB; anything larger is not a manifest we want in memory. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const unavailable = (message: string, cause?: unknown): ArchyError =>
  new ArchyError(RpcErrorCode.ImageUnavailable, message, { cause });

/**
 * A minimal OCI distribution (registry v2) client: manifests and blobs, no auth. Every byte it
 * returns is checked against the digest it was asked for, so a registry (or anything between
 * us and it) cannot substitute content.
 */
export class RegistryClient {
  readonly registry: string;
  private readonly origin: string;
  private readonly timeoutMs: number;
  private readonly agent: Agent | undefined;

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.origin = `${options.insecure ? 'http' : 'https'}://${registryApiHost(options.registry)}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.agent = options.agent;
  }

  /**
   * The manifest at a tag or digest, or undefined when the registry has none there. Accepts
   * images and indexes (multi-arch), OCI or Docker v2.
   */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest | undefined> {
    const url = this.url(`/v2/${repository}/manifests/${reference}`);
    const res = await this.send('GET', url, {
      headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
      maxBytes: MAX_MANIFEST_BYTES,
    });
    if (res.status === 404) return undefined;
    this.expectStatus(res, [200], 'GET', url);
    const digest = sha256Digest(res.body);
    const claimed = header(res, 'docker-content-digest');
    if (claimed !== undefined && claimed !== digest)
      throw unavailable(
        `${this.registry} served ${repository}:${reference} with digest header ${claimed}, but its bytes hash to ` +
          `${digest}; refusing it. Something between us and the registry is altering content, or the registry is broken.`,
      );
    if (isDigest(reference) && reference !== digest)
      throw unavailable(
        `${this.registry} answered ${repository}@${reference} with content whose digest is ${digest}; refusing it.`,
      );
    const mediaType = manifestMediaType(res);
    if (!(MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType))
      throw unavailable(
        `${this.registry} served ${repository}:${reference} as '${mediaType}', which we cannot verify; ` +
          'push it again as an OCI or Docker v2 manifest (e.g. podman push --format oci).',
      );
    return { digest, mediaType, bytes: res.body };
  }

  /** The digest a tag points to now (computed from the manifest bytes, not taken from a header). */
  async resolveDigest(repository: string, reference: string): Promise<Digest> {
    const manifest = await this.getManifest(repository, reference);
    if (!manifest)
      throw unavailable(
        `${this.registry}/${repository}:${reference} does not exist; check the image name and tag, ` +
          'and that it was pushed to this registry.',
      );
    return manifest.digest;
  }

  /** Stores a manifest under a tag (or its digest); returns the digest of the bytes sent. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<Digest> {
    const url = this.url(`/v2/${repository}/manifests/${reference}`);
    const res = await this.send('PUT', url, { headers: { 'content-type': mediaType }, body: bytes });
    this.expectStatus(res, [201, 200], 'PUT', url);
    return sha256Digest(bytes);
  }

  async blobExists(repository: string, digest: Digest): Promise<boolean> {
    const url = this.url(`/v2/${repository}/blobs/${digest}`);
    const res = await this.send('HEAD', url, {});
    if (res.status === 404) return false;
    if (res.status >= 300 && res.status < 400) return true; // served elsewhere (e.g. object storage)
    this.expectStatus(res, [200], 'HEAD', url);
    return true;
  }

  /** A blob's bytes, checked against its digest; refuses blobs larger than `maxBytes`. */
  async getBlob(repository: string, digest: Digest, options: { maxBytes: number }): Promise<Buffer> {
    let url = this.url(`/v2/${repository}/blobs/${digest}`);
    for (let hop = 0; ; hop++) {
      const res = await this.send('GET', url, { maxBytes: options.maxBytes });
      const location = header(res, 'location');
      if (res.status >= 300 && res.status < 400 && location && hop < MAX_REDIRECTS) {
        // Registries hand blobs off to object storage; the digest check below makes any host safe,
        // but never downgrade from HTTPS.
        const next = new URL(location, url);
        if (url.protocol === 'https:' && next.protocol !== 'https:')
          throw unavailable(
            `${this.registry} redirected a blob download from HTTPS to ${next.protocol}; refusing.`,
          );
        url = next;
        continue;
      }
      if (res.status === 404)
        throw unavailable(
          `${this.registry}/${repository} is missing blob ${digest}; the image was pushed incompletely — push it again.`,
        );
      this.expectStatus(res, [200], 'GET', url);
      const actual = sha256Digest(res.body);
      if (actual !== digest)
        throw unavailable(
          `${this.registry}/${repository} served blob ${digest} with content hashing to ${actual}; refusing it.`,
        );
      return res.body;
    }
  }

  /**
   * Uploads a blob (one monolithic PUT) unless the repository already has it; returns its digest.
   */
  async pushBlob(repository: string, bytes: Buffer): Promise<Digest> {
    const digest = sha256Digest(bytes);
    if (await this.blobExists(repository, digest)) return digest;
    const start = this.url(`/v2/${repository}/blobs/uploads/`);
    const started = await this.send('POST', start, {});
    this.expectStatus(started, [202], 'POST', start);
    const location = header(started, 'location');
    if (!location)
      throw unavailable(
        `${this.registry} started an upload without saying where to send it (no Location header).`,
      );
    const upload = new URL(location, start);
    if (upload.protocol !== start.protocol)
      throw unavailable(
        `${this.registry} sent the upload to ${upload.protocol} instead of ${start.protocol}; refusing.`,
      );
    upload.searchParams.append('digest', digest);
    const res = await this.send('PUT', upload, {
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    this.expectStatus(res, [201], 'PUT', upload);
    return digest;
  }

  private url(path: string): URL {
    return new URL(path, this.origin);
  }

  private async send(
    method: HttpMethod,
    url: URL,
    options: { headers?: Record<string, string>; body?: Buffer; maxBytes?: number },
  ): Promise<Response> {
    let res: ResponseData;
    try {
      res = await request(url, {
        method,
        headers: options.headers,
        body: options.body,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(this.agent ? { agent: this.agent } : {}),
      });
    } catch (err) {
      throw this.networkError(err, method, url);
    }
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    const limit = ok ? (options.maxBytes ?? MAX_ERROR_BODY_BYTES) : MAX_ERROR_BODY_BYTES;
    // Always drain the body (empty for HEAD) so the connection goes back to the pool.
    const body = await readLimited(res.body, limit, ok);
    if (body === undefined)
      throw unavailable(
        `${this.registry} answered ${method} ${url.pathname} with more than ${limit} bytes; refusing to read it.`,
      );
    if (res.statusCode === 401)
      throw unavailable(
        `the registry ${this.registry} requires authentication, which is not supported yet; ` +
          'use a registry (or mirror) that allows anonymous access for now.',
      );
    return { status: res.statusCode, headers: res.headers, body };
  }

  private expectStatus(res: Response, expected: number[], method: string, url: URL): void {
    if (expected.includes(res.status)) return;
    const detail = registryErrorMessage(res.body);
    const hint =
      res.status === 403
        ? 'the registry denied access'
        : res.status === 405
          ? 'the registry does not allow this operation (is it a read-only mirror?)'
          : `it answered HTTP ${res.status}`;
    throw unavailable(
      `${method} ${url.pathname} on ${this.registry} failed: ${hint}${detail ? ` (${detail})` : ''}.`,
    );
  }

  private networkError(err: unknown, method: string, url: URL): ArchyError {
    const e = err as {
      name?: string;
      code?: string;
      message?: string;
      cause?: { code?: string; message?: string };
    };
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      return unavailable(
        `${this.registry} did not answer ${method} ${url.pathname} within ${this.timeoutMs} ms.`,
        err,
      );
    const code = e.code ?? e.cause?.code;
    // OpenSSL's messages run over several lines ("...:wrong version number:../deps/openssl/..."):
    // keep the first, on one line, so the hint below survives one-line error output.
    const detail = (e.cause?.message ?? e.message ?? '').split('\n')[0]!.trim().slice(0, 200);
    const reason = [code, detail].filter(Boolean).join(': ');
    const tlsHint =
      url.protocol === 'https:' && /EPROTO|SSL|TLS|wrong version/i.test(reason)
        ? `; if ${this.registry} serves plain HTTP, list it in ARCHY_INSECURE_REGISTRIES`
        : '';
    return unavailable(
      `could not reach the registry ${this.registry} (${reason}); check that it is running and the address is right${tlsHint}.`,
      err,
    );
  }
}

function header(res: Response, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The manifest's own `mediaType` field wins over Content-Type, which some registries get wrong. */
function manifestMediaType(res: Response): string {
  try {
    const parsed = JSON.parse(res.body.toString('utf8')) as { mediaType?: unknown };
    if (typeof parsed.mediaType === 'string') return parsed.mediaType;
  } catch {
    // Not JSON: the caller rejects the type below or the parser later.
  }
  return (header(res, 'content-type') ?? '').split(';')[0]!.trim();
}

/** The first `errors[].message` of a distribution error body, if there is one. */
function registryErrorMessage(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    const first = parsed.errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(': ');
  } catch {
    // Not a distribution error body.
  }
  const text = body.toString('utf8').trim();
  return text ? text.slice(0, 200) : undefined;
}
