// The images this node built itself, by image ID (what records' runImage names): their
// provenance is what `archy status` shows and what `package.sbom` serves.

import type { AppStatus } from '../kernel/index.js';
import type { ImageProvenance, LocalImages } from '../provisioning/index.js';
import type { AppRuntime } from './app-runtime.js';

export class LocalImagesIndex {
  private readonly byImageId = new Map<string, ImageProvenance>();

  constructor(readonly images: LocalImages) {}

  /** Remembers the provenance of an image built just now. */
  remember(provenance: ImageProvenance | undefined): void {
    if (provenance) this.byImageId.set(provenance.imageId, provenance);
  }

  /** Reads back (at boot) the provenance kept in DATA_DIR/images for an app's image. */
  async rememberFromDisk(appId: string, version: string, imageId: string): Promise<void> {
    this.remember(await this.images.findByImageId(appId, version, imageId));
  }

  /** The provenance of the image the app runs, when this node built that very image for it. */
  of(runtime: AppRuntime): ImageProvenance | undefined {
    const runImage = runtime.record.runImage;
    const known = runImage === undefined ? undefined : this.byImageId.get(runImage);
    return known && known.appId === runtime.record.id && known.version === runtime.record.version
      ? known
      : undefined;
  }
}

/** The API's view of a provenance record. */
export function provenanceReport(provenance: ImageProvenance): NonNullable<AppStatus['provenance']> {
  return {
    builtBy: 'node',
    imageId: provenance.imageId,
    reference: provenance.reference,
    builtAt: provenance.builtAt,
    origin: provenance.origin,
    sbom: { format: provenance.sbom.format, sha256: provenance.sbom.sha256 },
  };
}
