/**
 * An app id: lowercase letters, digits and '-', starting with a letter or digit, at most 63
 * characters. It names a folder under the data dir, a container and a network, so nothing
 * that could escape a path (dots, slashes) is allowed. Kept free of heavy imports: the CLI
 * checks ids before it loads anything else.
 */
export const APP_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const isValidAppId = (id: string): boolean => APP_ID_PATTERN.test(id);
