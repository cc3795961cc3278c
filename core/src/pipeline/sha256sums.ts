// SHA256SUMS as sha256sum(1) writes it: `<64 hex digits><space><space or *><file name>` per line,
// where `*` marks binary mode (same hash either way). The file itself is only trusted once the
// builders' signatures over it check out; this module just reads it and compares.

import { releaseRefused } from './pipeline-error.js';

const LINE = /^([0-9a-fA-F]{64}) [ *](.+)$/;

/** File name → lowercase hex SHA-256. */
export type Sha256Sums = Map<string, string>;

/** Parses SHA256SUMS; a malformed line or a file listed twice with different hashes is refused. */
export function parseSha256Sums(text: string): Sha256Sums {
  const sums: Sha256Sums = new Map();
  const lines = text.split('\n');
  lines.forEach((rawLine, index) => {
    const line = rawLine.replace(/\r$/, '');
    if (line.trim() === '') return;
    const match = LINE.exec(line);
    if (!match)
      throw releaseRefused(
        'checksum',
        `SHA256SUMS line ${index + 1} is not '<sha256>  <file name>': ${JSON.stringify(line.slice(0, 120))}`,
      );
    const [, hex, name] = match as unknown as [string, string, string];
    const previous = sums.get(name);
    if (previous !== undefined && previous !== hex.toLowerCase())
      throw releaseRefused('checksum', `SHA256SUMS lists ${name} twice with different hashes; refusing it.`);
    sums.set(name, hex.toLowerCase());
  });
  return sums;
}

/** The expected hash of `fileName`, or a 'checksum' error saying it isn't listed. */
export function expectedSha256(sums: Sha256Sums, fileName: string): string {
  const hex = sums.get(fileName);
  if (hex === undefined)
    throw releaseRefused(
      'checksum',
      `${fileName} is not listed in SHA256SUMS, so it cannot be verified; check the version and arch ` +
        `in the config (SHA256SUMS lists ${sums.size} file${sums.size === 1 ? '' : 's'}).`,
    );
  return hex;
}

/** Refuses a file whose streamed hash differs from the one SHA256SUMS lists. */
export function checkSha256(sums: Sha256Sums, fileName: string, actualHex: string): void {
  const expected = expectedSha256(sums, fileName);
  if (expected !== actualHex.toLowerCase())
    throw releaseRefused(
      'checksum',
      `${fileName} has SHA-256 ${actualHex.toLowerCase()}, but SHA256SUMS lists ${expected}; the download ` +
        'is corrupt or was tampered with. Nothing was built.',
      { data: { fileName, expected, actual: actualHex.toLowerCase() } },
    );
}
