// OCI image references as a manifest may name them: the grammar is util/image-reference.ts's
// (the one parser); what a manifest adds is the policy that the reference is pinned.

import { checkImageReference, type ImageReference } from '../util/image-reference.js';
import type { Parsed } from './units.js';

export type { ImageReference };

// Names that move to new content without the manifest changing: a node runner's install would
// silently change under them, and rollback would have nothing to roll back to.
export const FLOATING_TAGS: readonly string[] = ['latest', 'stable', 'edge', 'nightly', 'master', 'main'];

export const isFloatingTag = (tag: string): boolean => FLOATING_TAGS.includes(tag.toLowerCase());

/** Checks an image reference's shape and that it is pinned (a tag that isn't floating, or a digest). */
export function parseImageReference(text: string): Parsed<ImageReference> {
  const checked = checkImageReference(text);
  if (!checked.ok) return { ok: false, reason: checked.reason };
  const { tag, digest } = checked.value;
  if (tag !== undefined && isFloatingTag(tag)) {
    return {
      ok: false,
      reason: `${JSON.stringify(text)} uses the floating tag '${tag}'; pin a real version such as ":1.2.3" or a digest`,
    };
  }
  if (tag === undefined && digest === undefined) {
    return {
      ok: false,
      reason: `${JSON.stringify(text)} has no tag or digest; pin a version such as ":1.2.3" or "@sha256:<digest>"`,
    };
  }
  return checked;
}
