import { displayBitcoinVersion, parseBitcoinVersion, type BitcoinImplementation } from '../bitcoin/index.js';

/** How a version is shown: Knots with its date, everything else as written. */
export function displayVersion(version: string, implementation?: BitcoinImplementation): string {
  const parsed = implementation ? parseBitcoinVersion(version, implementation) : undefined;
  return parsed ? displayBitcoinVersion(parsed) : version;
}
