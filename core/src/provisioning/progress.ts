// What a node reports while it makes an app's image available: fetching builder keys, checking
// signatures, downloading (bytes, rate, ETA), verifying, building, writing the SBOM. The CLI draws
// it as a progress line and the web UI as a bar; both get it as the `image-progress` event.

export type ProvisionPhase = 'keys' | 'signatures' | 'download' | 'verify' | 'build' | 'sbom' | 'ready';

export interface ProvisionProgress {
  phase: ProvisionPhase;
  /** One line for a person: what is being done right now. */
  detail: string;
  file?: string;
  bytes?: number;
  total?: number;
  rateBytesPerSecond?: number;
  etaSeconds?: number;
}
