// Saving an app's SBOM from the browser: the daemon sends the document as text (package.sbom); the
// page checks it against the SHA-256 the node recorded when it built the image, then hands it to
// the browser as a file download through a short-lived object URL.

/** `bitcoin-core-31.1.cdx.json` (CycloneDX) or `….spdx.json`; anything odd in a name becomes `_`. */
export function sbomFileName(id: string, version: string, format: string): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '_');
  const extension = /spdx/i.test(format) ? 'spdx.json' : 'cdx.json';
  return `${safe(id)}-${safe(version)}.${extension}`;
}

export function sbomMediaType(format: string): string {
  return /spdx/i.test(format) ? 'application/spdx+json' : 'application/vnd.cyclonedx+json';
}

/**
 * The SHA-256 of the text's UTF-8 bytes, lowercase hex; undefined where the browser offers no
 * digest (crypto.subtle exists only in secure contexts: https, or the node opened as localhost).
 */
export async function sha256Hex(text: string): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return undefined;
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export interface SaveFileOptions {
  document?: Document;
  /** How long the object URL lives after the click; the download has started by then. */
  revokeAfterMs?: number;
}

/** Offers `text` as a file download named `name`. */
export function saveTextFile(name: string, text: string, type: string, options: SaveFileOptions = {}): void {
  const doc = options.document ?? document;
  const href = URL.createObjectURL(new Blob([text], { type }));
  const link = doc.createElement('a');
  link.href = href;
  link.download = name;
  link.rel = 'noopener';
  link.style.display = 'none';
  // In the document while clicked: some browsers ignore a click on a detached link.
  doc.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), options.revokeAfterMs ?? 1000);
  }
}
