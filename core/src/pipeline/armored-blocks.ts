// SHA256SUMS.asc is every builder's detached signature, armored and concatenated. OpenPGP.js
// reads only the first armored block of a string, so the blocks are split here and each is read
// on its own — otherwise one signature would be checked and the rest silently ignored.

const BLOCK = /-----BEGIN PGP SIGNATURE-----[\s\S]*?-----END PGP SIGNATURE-----/g;

/** Each armored signature block in `text`, in order; text between blocks is ignored. */
export function splitArmoredSignatures(text: string): string[] {
  return text.replace(/\r\n/g, '\n').match(BLOCK) ?? [];
}

const KEY_BLOCK = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;

/**
 * Each armored public key block in `text` (a builder's file may hold its old and new key as two
 * exports one after the other); the whole text when it holds none, for the parser to refuse.
 */
export function splitArmoredKeys(text: string): string[] {
  const blocks = text.replace(/\r\n/g, '\n').match(KEY_BLOCK);
  return blocks && blocks.length > 0 ? blocks : [text];
}
