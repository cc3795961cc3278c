import { createHash } from 'node:crypto';

/**
 * Our namespace for name-based UUIDs (generated once, at random). CycloneDX wants a serialNumber
 * per BOM; a random one would make two builds of the same image differ, so the serial is a
 * UUIDv5 (RFC 9562 §5.5: SHA-1 of namespace ‖ name) of the BOM's own bytes instead: the same
 * content always gets the same serial, and different content a different one.
 */
const SBOM_NAMESPACE = Buffer.from('1bd0deba07684c80b48ad5f9e3421944', 'hex');

/** `urn:uuid:…` of a version-5 UUID named by `content`. */
export function contentSerialNumber(content: string): string {
  const bytes = createHash('sha1').update(SBOM_NAMESPACE).update(content, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
