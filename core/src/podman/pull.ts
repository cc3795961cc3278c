import { PodmanError } from './errors.js';
import { inspectImage } from './images.js';
import { parseJsonLines } from './json-lines.js';
import { PullProgressTracker, type CompatPullLine, type PullProgressUpdate } from './pull-progress.js';
import type { PodmanTransport } from './transport.js';
import { nameOf, splitImageReference } from '../util/image-reference.js';

export interface PullOptions {
  /**
   * false allows a plain-HTTP (or self-signed) registry. Podman 4.3's compat endpoint has no
   * such switch: it trusts registries.conf (see `startPodmanService({ insecureRegistries })`). When
   * the service does not list the registry, the pull falls back to libpod's endpoint, which takes
   * `tlsVerify=false` but reports only coarse, blob-count progress.
   */
  tlsVerify?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgressUpdate) => void;
}

/** Splits "host/repo:tag" into the compat endpoint's fromImage and tag; digests stay whole. */
export function splitReference(ref: string): { fromImage: string; tag: string | undefined } {
  if (ref.includes('@')) return { fromImage: ref, tag: undefined };
  return { fromImage: nameOf(ref), tag: splitImageReference(ref).tag ?? 'latest' };
}

/** The registry refused HTTPS or its certificate: only then is an insecure retry meaningful. */
const needsInsecureTransport = (message: string): boolean =>
  /server gave HTTP response to HTTPS client|x509:|certificate/i.test(message);

/** Pulls `ref` and returns the local image id. A failed pull throws, although Podman answers 200. */
export async function pullImage(t: PodmanTransport, ref: string, options: PullOptions = {}): Promise<string> {
  try {
    await pullWithByteProgress(t, ref, options);
  } catch (err) {
    const insecureRetry =
      options.tlsVerify === false && err instanceof PodmanError && needsInsecureTransport(err.podmanMessage);
    if (!insecureRetry) throw err;
    return pullWithBlobCount(t, ref, options);
  }
  const image = await inspectImage(t, ref, options.signal);
  if (!image) {
    throw new PodmanError('POST /images/create', 200, `pulled ${ref} but cannot find it afterwards`);
  }
  return image.Id;
}

async function pullWithByteProgress(t: PodmanTransport, ref: string, options: PullOptions): Promise<void> {
  const { fromImage, tag } = splitReference(ref);
  const response = await t.stream('POST', '/images/create', {
    query: { fromImage, tag },
    signal: options.signal,
  });
  const tracker = new PullProgressTracker();
  for await (const line of parseJsonLines<CompatPullLine>(response.body)) {
    if (line.error !== undefined || line.errorDetail?.message !== undefined) {
      response.body.destroy();
      throw pullFailed(
        'POST /images/create',
        ref,
        line.errorDetail?.message ?? line.error ?? 'unknown error',
      );
    }
    if (tracker.apply(line)) options.onProgress?.(tracker.snapshot());
  }
  const final = tracker.snapshot();
  options.onProgress?.({ ...final, completedBytes: final.totalBytes, layersDone: final.layersTotal });
}

/** libpod's pull stream: `{stream}` text lines, then `{images, id}`, or `{error}`. */
interface LibpodPullLine {
  stream?: string;
  error?: string;
  id?: string;
  images?: string[];
}

async function pullWithBlobCount(t: PodmanTransport, ref: string, options: PullOptions): Promise<string> {
  const response = await t.stream('POST', '/libpod/images/pull', {
    query: { reference: ref, tlsVerify: false, policy: 'always' },
    signal: options.signal,
  });
  let blobs = 0;
  let imageId: string | undefined;
  const report = (done: number): void =>
    options.onProgress?.({
      completedBytes: 0,
      totalBytes: 0,
      layersDone: done,
      layersTotal: blobs,
      byteLevel: false,
    });
  for await (const line of parseJsonLines<LibpodPullLine>(response.body)) {
    if (line.error) {
      response.body.destroy();
      throw pullFailed('POST /libpod/images/pull', ref, line.error);
    }
    if (line.stream && /^Copying (blob|config)/.test(line.stream)) {
      blobs += 1;
      report(blobs - 1);
    }
    if (line.id) imageId = line.id;
  }
  if (!imageId) throw pullFailed('POST /libpod/images/pull', ref, 'the pull ended without an image id');
  report(blobs);
  return imageId;
}

function pullFailed(call: string, ref: string, message: string): PodmanError {
  return new PodmanError(call, 200, message, {
    message: `podman ${call} failed (pull of ${ref}): ${message}`,
  });
}
