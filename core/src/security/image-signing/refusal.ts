import {
  ArchyError,
  RpcErrorCode,
  type ImageRefusalData,
  type ImageRefusalReason,
} from '../../kernel/index.js';

// The reason and data types are the kernel's (error data is typed per code there).
export type { ImageRefusalData, ImageRefusalReason };

const NEXT_STEP: Record<ImageRefusalReason, string> = {
  unsigned:
    'ask the publisher for a signed image (archy image sign), or for development only list its registry in ARCHY_UNSIGNED_REGISTRIES',
  untrusted:
    "do not run it: either the publisher's key is not among the catalog's trusted keys, or the signature was tampered with",
  'key-not-pinned':
    "do not run it: the signed catalog lets a publisher's key vouch only for that publisher's apps; ask this app's publisher for an image signed with its own key",
  'digest-mismatch':
    'do not run it: the tag was moved to other content, or a signature was copied from another image; ask the publisher to re-sign',
  'identity-mismatch':
    'do not run it: the signature was made for another repository and copied here; ask the publisher to sign this repository',
  malformed: 'do not run it; ask the publisher to sign the image again with cosign or archy image sign',
};

/** An ArchyError for a refused image: what was wrong, then what to do next. */
export function imageRefused(image: string, reason: ImageRefusalReason, what: string): ArchyError {
  const data: ImageRefusalData = { reason, image };
  return new ArchyError(RpcErrorCode.ImageUnavailable, `image ${image} ${what}; ${NEXT_STEP[reason]}.`, {
    data,
  });
}

/** The refusal reason of an error from verifyImage, or undefined when it was not a signature refusal. */
export function imageRefusalReason(err: unknown): ImageRefusalReason | undefined {
  if (!(err instanceof ArchyError)) return undefined;
  const data = err.data as Partial<ImageRefusalData> | undefined;
  return typeof data?.reason === 'string' && data.reason in NEXT_STEP ? data.reason : undefined;
}
