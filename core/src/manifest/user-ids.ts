// Who an app runs as, as the container policy reads it: numeric ids parsed as integers, never
// names and never a string compare. A name means whatever the image's /etc/passwd says (a `toor`
// with uid 0 is root), and comparing text with "0" misses "00", "0000" and "1000:00". In rootless
// Podman uid 0 in the container is the daemon's own host user, and gid 0 its group: an app that
// escaped as either would own the daemon's data, cookie and secrets.
//
// A leaf module (no imports) kept in manifest/, the lower of the two layers that share it: the
// manifest schema and the container policy (security/policy) read user ids alike.

/** The largest uid or gid Linux accepts: 2^32-1 is (uid_t)-1, "leave unchanged" to setresuid and chown. */
export const MAX_ID = 4_294_967_294;

export interface UserIds {
  uid: number;
  gid: number;
}

export type UserVerdict = { ok: true; ids: UserIds } | { ok: false; reason: string };

export interface ParseUserOptions {
  /**
   * What a bare uid ("1000") means. `'uid'`: the same number as gid ("1000" is "1000:1000"), for
   * manifests. `'refuse'`: a gid is required, for a created container's user, which the daemon
   * always sets as "uid:gid" — Podman would otherwise take the gid from the image's /etc/passwd
   * (gid 0 when the uid has no entry) and add the groups /etc/group lists the user in.
   */
  bareUid: 'uid' | 'refuse';
}

const DIGITS = /^[0-9]+$/;
// What a user or group name looks like in /etc/passwd (shadow-utils' rule, plus a trailing $).
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;
export const EXAMPLE_USER = '"1000:1000"';

/** A value for a one-line message: control characters escaped, long values cut. */
export function quoteUser(text: string): string {
  const cut = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return `'${JSON.stringify(cut).slice(1, -1)}'`;
}

/** One part ("1000") as an integer, or why not. Digits only: no sign, no hex, no spaces. */
function parseId(
  part: string,
  what: 'uid' | 'gid',
): { ok: true; id: number } | { ok: false; reason: string } {
  if (part === '') return { ok: false, reason: `the ${what} is empty` };
  if (!DIGITS.test(part)) {
    return NAME.test(part)
      ? {
          ok: false,
          reason: `${quoteUser(part)} is a name; use numbers (uid:gid such as ${EXAMPLE_USER}): a name means whatever the image's /etc/passwd says, which may be root`,
        }
      : {
          ok: false,
          reason: `the ${what} ${quoteUser(part)} is not a number; use plain digits such as ${EXAMPLE_USER}`,
        };
  }
  // Compared as digits first: Number() of a 400-digit string is a float that only looks exact.
  const value = part.length > 10 ? Infinity : Number(part);
  if (value > MAX_ID)
    return {
      ok: false,
      reason: `the ${what} ${quoteUser(part)} is beyond ${MAX_ID}, the largest id Linux accepts`,
    };
  // "00" is uid 0 and said so below; "0100" is refused rather than read (some tools read it as octal 64).
  if (value !== 0 && part.startsWith('0')) {
    return { ok: false, reason: `the ${what} ${quoteUser(part)} has a leading zero; write ${value}` };
  }
  return { ok: true, id: value };
}

/** Why ids are refused (uid 0 or gid 0), as a phrase after the value; undefined when they are not root's. */
export function rootRefusal(ids: UserIds): string | undefined {
  if (ids.uid === 0)
    return "runs the app as root (uid 0), which rootless Podman maps to the daemon's own host user";
  if (ids.gid === 0)
    return "runs the app in root's group (gid 0), which rootless Podman maps to the daemon's own host group";
  return undefined;
}

/**
 * Reads "uid:gid" (or a bare uid, as `options` says) as integers and judges them: both ≥ 1 and
 * ≤ MAX_ID. Anything else — a name, a sign, a space, hex, a third part — is refused with a reason
 * that quotes the value on one line.
 */
export function parseUserIds(text: string, options: ParseUserOptions): UserVerdict {
  const parts = text.split(':');
  if (parts.length > 2) {
    return {
      ok: false,
      reason: `${quoteUser(text)} has ${parts.length} parts; write uid:gid such as ${EXAMPLE_USER}`,
    };
  }
  const [uidText = '', gidText] = parts;
  if (gidText === undefined && options.bareUid === 'refuse') {
    return { ok: false, reason: `${quoteUser(text)} names no group; write uid:gid such as ${EXAMPLE_USER}` };
  }
  const uid = parseId(uidText, 'uid');
  if (!uid.ok) return uid;
  const gid = gidText === undefined ? uid : parseId(gidText, 'gid');
  if (!gid.ok) return gid;
  const ids = { uid: uid.id, gid: gid.id };
  const root = rootRefusal(ids);
  if (root !== undefined) return { ok: false, reason: `${quoteUser(text)} ${root}` };
  return { ok: true, ids };
}

/** The ids as Podman's `user` field takes them, always with the group. */
export const formatUserIds = (ids: UserIds): string => `${ids.uid}:${ids.gid}`;
