// The password guards the whole node (every app, every wallet it runs), so it must resist
// guessing even with the login throttle bypassed by a stolen web-auth.json. Long passphrases are
// the easy path; shorter ones must at least mix kinds of characters.

export const MIN_PASSWORD_LENGTH = 12;
/** From this length on, any characters will do: length beats variety. */
export const PASSPHRASE_LENGTH = 16;
/** Beyond this scrypt still works, but nobody types it; a cap stops megabyte "passwords". */
export const MAX_PASSWORD_LENGTH = 1024;

export const PASSWORD_RULE = `use at least ${MIN_PASSWORD_LENGTH} characters, mixing at least two kinds (lower case, upper case, digits, symbols) unless it is ${PASSPHRASE_LENGTH} or longer`;

/** Why `password` is not acceptable as the admin password, or undefined when it is. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    return `the password is too short (${length} characters): ${PASSWORD_RULE}`;
  }
  if (length > MAX_PASSWORD_LENGTH) {
    return `the password is too long: use at most ${MAX_PASSWORD_LENGTH} characters`;
  }
  if (length < PASSPHRASE_LENGTH && characterClasses(password) < 2) {
    return `the password uses only one kind of character: ${PASSWORD_RULE}`;
  }
  return undefined;
}

function characterClasses(password: string): number {
  const classes = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u];
  return classes.filter((pattern) => pattern.test(password)).length;
}
