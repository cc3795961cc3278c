// The image's own user (`Config.User`, used when the manifest names none), resolved to numeric
// ids the way the container runtime would, then judged like a manifest's: never assumed non-root.
// The daemon hands Podman the resolved "uid:gid", so Podman resolves nothing itself: no name is
// looked up twice (and possibly differently), no gid 0 for a uid without a passwd entry, and no
// supplementary groups from /etc/group (Podman adds them only when the group is not given; here
// `USER app` with `root:x:0:app` in /etc/group ran with groups=0(root)).

import { MAX_ID, quoteUser, rootRefusal, type UserIds } from '../../manifest/user-ids.js';

/** The image's account files, as read from it; undefined where the image has none. */
export interface ImageAccountFiles {
  passwd?: string | undefined;
  group?: string | undefined;
}

export type ImageUserVerdict =
  /** `ids` undefined: the image names no user, and the policy's default applies. */
  { ok: true; ids: UserIds | undefined } | { ok: false; reason: string };

const DIGITS = /^[0-9]+$/;

/** Whether resolving `configUser` needs the image's /etc/passwd or /etc/group. */
export function needsAccountFiles(configUser: string): boolean {
  const parts = configUser.trim().split(':');
  return configUser.trim() !== '' && !(parts.length === 2 && parts.every((part) => DIGITS.test(part)));
}

/**
 * An id as the runtime reads a numeric `Config.User` part (Go's Atoi on digits, so "00" is 0):
 * the integer is what gets judged. Signs, spaces and hex are not read at all.
 */
function numericId(text: string): number | undefined {
  if (!DIGITS.test(text)) return undefined;
  const value = text.replace(/^0+(?=.)/, '');
  return value.length > 10 || Number(value) > MAX_ID ? undefined : Number(value);
}

/** Lines of an account file split into fields; blank and comment lines skipped. */
function entries(text: string | undefined): string[][] {
  return (text ?? '')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

type Found<T> = { ok: true; entry: T } | { ok: false; reason: string } | 'none';

/**
 * The one answer all matching entries agree on. Entries for one name that disagree, or whose ids
 * are not plain numbers, are refused: which one wins depends on the reader, and the daemon will
 * not guess.
 */
function onlyAnswer<T>(matches: ReadonlyArray<T | undefined>, what: string): Found<T> {
  if (matches.length === 0) return 'none';
  if (matches.some((match) => match === undefined))
    return { ok: false, reason: `${what} has an entry whose ids are not plain numbers` };
  const first = JSON.stringify(matches[0]);
  if (matches.some((match) => JSON.stringify(match) !== first))
    return { ok: false, reason: `${what} has several entries with different ids` };
  return { ok: true, entry: matches[0]! };
}

function passwdEntries(files: ImageAccountFiles, matches: (fields: string[]) => boolean) {
  return entries(files.passwd)
    .filter((fields) => fields.length >= 4 && matches(fields))
    .map((fields) => {
      const uid = numericId(fields[2]!);
      const gid = numericId(fields[3]!);
      return uid === undefined || gid === undefined ? undefined : { uid, gid };
    });
}

// What a user or group name looks like in /etc/passwd (shadow-utils' rule, plus a trailing $).
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;

/**
 * Resolves `configUser` ("", "uid", "name", "uid:gid", "name:group", ...) against the image's
 * files and judges the result. A bare uid takes the gid of its passwd entry, as Podman would, or
 * the uid's own number when it has none (where Podman would use gid 0).
 */
export function resolveImageUser(configUser: string, files: ImageAccountFiles): ImageUserVerdict {
  const text = configUser.trim();
  if (text === '') return { ok: true, ids: undefined };
  const shown = `the image's user ${quoteUser(configUser)}`;
  const refuse = (why: string): ImageUserVerdict => ({ ok: false, reason: `${shown} ${why}` });
  const parts = text.split(':');
  if (parts.length > 2) return refuse(`has ${parts.length} parts`);
  const [userPart = '', groupPart] = parts;
  const unreadable = (part: string) =>
    DIGITS.test(part)
      ? `has an id beyond ${MAX_ID}, the largest Linux accepts`
      : `has ${quoteUser(part)}, which is neither a number nor a name`;

  // Root whatever the group: said before any group lookup can fail for another reason.
  const rootUid = (): ImageUserVerdict => refuse(`is uid 0 and ${rootRefusal({ uid: 0, gid: 1 })}`);
  let uid: number;
  let defaultGid: number;
  const numericUid = numericId(userPart);
  if (numericUid !== undefined) {
    uid = numericUid;
    if (uid === 0) return rootUid();
    const found = onlyAnswer(
      passwdEntries(files, (fields) => numericId(fields[2]!) === uid),
      `uid ${uid}`,
    );
    if (found === 'none') defaultGid = uid;
    else if (found.ok) defaultGid = found.entry.gid;
    else if (groupPart === undefined) return refuse(`cannot be resolved: in its /etc/passwd ${found.reason}`);
    else defaultGid = uid;
  } else if (NAME.test(userPart)) {
    if (files.passwd === undefined)
      return refuse('is a name, and the image has no /etc/passwd to resolve it');
    const found = onlyAnswer(
      passwdEntries(files, (fields) => fields[0] === userPart),
      `user ${quoteUser(userPart)}`,
    );
    if (found === 'none') return refuse(`is not in the image's /etc/passwd`);
    if (!found.ok) return refuse(`cannot be resolved: in its /etc/passwd ${found.reason}`);
    ({ uid, gid: defaultGid } = found.entry);
    if (uid === 0) return rootUid();
  } else {
    return refuse(unreadable(userPart));
  }

  let gid: number;
  if (groupPart === undefined) {
    gid = defaultGid;
  } else if (numericId(groupPart) !== undefined) {
    gid = numericId(groupPart)!;
  } else if (NAME.test(groupPart)) {
    if (files.group === undefined)
      return refuse('names a group, and the image has no /etc/group to resolve it');
    const matches = entries(files.group)
      .filter((fields) => fields.length >= 3 && fields[0] === groupPart)
      .map((fields) => numericId(fields[2]!));
    const found = onlyAnswer(matches, `group ${quoteUser(groupPart)}`);
    if (found === 'none') return refuse(`names a group that is not in the image's /etc/group`);
    if (!found.ok) return refuse(`cannot be resolved: in its /etc/group ${found.reason}`);
    gid = found.entry;
  } else {
    return refuse(unreadable(groupPart));
  }

  const ids = { uid, gid };
  const root = rootRefusal(ids);
  if (root === undefined) return { ok: true, ids };
  return refuse(`is ${uid}:${gid} and ${root}`);
}
