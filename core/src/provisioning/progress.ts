// What a node reports while it makes an app's image available: fetching builder keys, checking
// signatures, downloading (bytes, rate, ETA), verifying, building, writing the SBOM, ready. The CLI
// draws it as a progress line and the web UI as a bar; both get it as the `image-progress` event,
// which adds the app and version to it.

import type { ImageProgress } from '../kernel/index.js';

export type ProvisionProgress = Omit<ImageProgress, 'id' | 'version'>;
export type ProvisionPhase = ImageProgress['phase'];
