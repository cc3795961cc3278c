// SHA256SUMS.asc is every builder's detached signature, armored and concatenated. OpenPGP.js
// reads only the first armored block of a string, so the blocks are split here and each is read
// on its own — otherwise one signature would be checked and the rest silently ignored.

const BLOCK = /-----BEGIN PGP SIGNATURE-----[\s\S]*?-----END PGP SIGNATURE-----/g;

/** Each armored signature block in `text`, in order; text between blocks is ignored. */
export function splitArmoredSignatures(text: string): string[] {
  return text.replace(/\r\n/g, '\n').match(BLOCK) ?? [];
}
