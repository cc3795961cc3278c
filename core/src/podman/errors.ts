/**
 * A failed call to the Podman API. `call` names the endpoint without the version prefix or query
 * (e.g. "POST /libpod/containers/create") so logs and tests can match on it; `status` is the
 * HTTP status (0 when no answer came: socket unreachable or timed out); `podmanCause` and
 * `podmanMessage` are Podman's own words from its JSON error body. Podman 4.3 answers many
 * client mistakes as 500, so callers should read `podmanCause`, not only `status`.
 */
export class PodmanError extends Error {
  readonly call: string;
  readonly status: number;
  readonly podmanCause: string | undefined;
  readonly podmanMessage: string;

  constructor(
    call: string,
    status: number,
    podmanMessage: string,
    options: { podmanCause?: string | undefined; cause?: unknown; message?: string } = {},
  ) {
    super(options.message ?? `podman ${call} failed (${status}): ${podmanMessage}`, { cause: options.cause });
    this.name = 'PodmanError';
    this.call = call;
    this.status = status;
    this.podmanCause = options.podmanCause;
    this.podmanMessage = podmanMessage;
  }

  /** True for "no such container/image/network/secret": Podman says 404, or 500 with that cause. */
  get isNotFound(): boolean {
    return this.status === 404 || /^no such /i.test(this.podmanCause ?? '');
  }
}

export const isPodmanNotFound = (err: unknown): err is PodmanError =>
  err instanceof PodmanError && err.isNotFound;

/** Podman's JSON error body: `{ cause, message, response }`. */
interface PodmanErrorBody {
  cause?: unknown;
  message?: unknown;
}

/** Builds a PodmanError from a non-2xx answer, reading Podman's JSON error body when there is one. */
export function podmanErrorFromBody(call: string, status: number, bodyText: string): PodmanError {
  let message = bodyText.trim() || '(empty answer)';
  let cause: string | undefined;
  try {
    const parsed = JSON.parse(bodyText) as PodmanErrorBody;
    if (typeof parsed.message === 'string' && parsed.message) message = parsed.message;
    if (typeof parsed.cause === 'string' && parsed.cause) cause = parsed.cause;
  } catch {
    // Not JSON (a proxy, or a crash mid-answer): keep the raw text as the message.
  }
  return new PodmanError(call, status, message, { podmanCause: cause });
}
