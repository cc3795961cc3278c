// Builds an app's image on this node — from a verified official release (Bitcoin Core/Knots) or
// from a manifest's recipe (the demo app) — with the image pipeline's own rootfs and import code,
// writes its SBOM, and records its provenance. The result is run by image ID.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BuildSpec } from '../manifest/index.js';
import {
  buildReleaseImage,
  removeLocalImage,
  writeRootOwnedTar,
  type ReleaseForBuild,
} from '../pipeline/index.js';
import { SBOM_FORMAT, sbomForRootfs, type SbomRelease } from '../pipeline/image-sbom.js';
import { LocalImages, normaliseImageId, type ImageProvenance } from './local-images.js';
import type { ObtainedRelease } from './obtain-release.js';
import type { ProvisionProgress } from './progress.js';
import { buildRecipeRootfs } from './recipe-rootfs.js';
import { importImageTarball } from './import-image-tarball.js';
import { nameOf, splitImageReference } from '../util/image-reference.js';

/** Labels every image this node built carries, so `podman images` shows what it is. */
export const NODE_BUILT_LABEL = 'io.archipelago.built-by';

export interface NodeImageBuilderOptions {
  images: LocalImages;
  /** Scratch space for rootfs trees and tarballs (inside the data dir: same disk, cleaned up). */
  workRoot: string;
  /** `unix://<socket>` of the daemon's Podman service; the local CLI otherwise. */
  podmanUrl?: string;
  now?: () => Date;
}

export interface ReleaseBuildRequest {
  appId: string;
  version: string;
  reference: string;
  arch: string;
  implementation: 'core' | 'knots';
  obtained: ObtainedRelease;
  threshold: number;
  onProgress?: (progress: ProvisionProgress) => void;
  /** Keeps bitcoind and bitcoin-cli beside the kept release after they were first taken out of it. */
  keepBinaries?: (files: Record<string, { path: string; member: string }>) => Promise<void>;
}

export interface RecipeBuildRequest {
  appId: string;
  version: string;
  reference: string;
  manifestFile: string;
  spec: BuildSpec;
  onProgress?: (progress: ProvisionProgress) => void;
  /** Whether Podman still has an image (a kept record is reused only then). */
  imageExists: (imageId: string) => Promise<boolean>;
}

export class NodeImageBuilder {
  constructor(private readonly options: NodeImageBuilderOptions) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async fromRelease(request: ReleaseBuildRequest): Promise<ImageProvenance> {
    const { obtained } = request;
    const release: ReleaseForBuild = {
      implementation: request.implementation,
      version: request.version,
      tarballPath: obtained.tarballPath,
      tarballName: obtained.tarballName,
      sha256: obtained.sha256,
      sourceUrl: obtained.source,
    };
    const sbomRelease: SbomRelease = {
      implementation: request.implementation,
      version: request.version,
      tarball: obtained.tarballName,
      sha256: obtained.sha256,
      source: obtained.source,
      signers: obtained.signatures.good.map((signer) => signer.fingerprint),
    };
    const createdAt = this.now();
    await this.ensureWorkRoot();
    let sbom: Awaited<ReturnType<typeof sbomForRootfs>> | undefined;
    request.onProgress?.({
      phase: 'build',
      detail: `building ${request.reference} from ${obtained.tarballName}`,
    });
    const built = await buildReleaseImage({
      release,
      registry: '',
      reference: request.reference,
      arch: request.arch,
      workRoot: this.options.workRoot,
      ...(this.options.podmanUrl && { podmanUrl: this.options.podmanUrl }),
      labels: { [NODE_BUILT_LABEL]: 'node' },
      ...(obtained.binaries && { binaries: obtained.binaries }),
      onRootfs: async (layout) => {
        if (!obtained.binaries && request.keepBinaries)
          await request.keepBinaries(
            Object.fromEntries(
              Object.entries(layout.members).map(([name, member]) => [
                name,
                { path: join(layout.rootDir, 'usr/local/bin', name), member },
              ]),
            ),
          );
      },
      // The SBOM reads the rootfs while it is tarred and imported.
      alongside: async (layout) => {
        request.onProgress?.({ phase: 'sbom', detail: 'listing and hashing every file of the image' });
        sbom = await sbomForRootfs({
          subject: subjectOf(request.reference),
          rootDir: layout.rootDir,
          sources: layout.sources,
          createdAt,
          appId: request.appId,
          release: sbomRelease,
        });
      },
    });
    try {
      return await this.options.images.save(
        {
          appId: request.appId,
          version: request.version,
          reference: request.reference,
          imageId: normaliseImageId(built.imageId),
          builtAt: createdAt.toISOString(),
          origin: {
            kind: 'release',
            implementation: request.implementation,
            arch: request.arch,
            tarball: obtained.tarballName,
            sha256: obtained.sha256,
            source: obtained.source,
            signers: obtained.signatures.good.map(({ fingerprint, userId }) => ({ fingerprint, userId })),
            threshold: request.threshold,
          },
        },
        { ...sbom!, format: SBOM_FORMAT },
      );
    } catch (error) {
      await removeLocalImage(request.reference, this.options.podmanUrl);
      throw error;
    }
  }

  /** Builds (or reuses, when nothing changed) the image a manifest's `build:` describes. */
  async fromRecipe(request: RecipeBuildRequest): Promise<ImageProvenance> {
    await this.ensureWorkRoot();
    const workDir = await mkdtemp(join(this.options.workRoot, 'archy-recipe-'));
    try {
      const rootfs = await buildRecipeRootfs({
        appId: request.appId,
        appDir: dirname(request.manifestFile),
        spec: request.spec,
        workDir,
      });
      const kept = await this.options.images.find(request.appId, request.version);
      if (
        kept?.origin.kind === 'recipe' &&
        kept.origin.inputsSha256 === rootfs.inputsSha256 &&
        kept.reference === request.reference &&
        (await request.imageExists(kept.imageId))
      )
        return kept;

      request.onProgress?.({
        phase: 'build',
        detail: `building ${request.reference} from ${request.manifestFile}`,
      });
      const createdAt = this.now();
      const sbom = await sbomForRootfs({
        subject: subjectOf(request.reference),
        rootDir: rootfs.rootDir,
        sources: rootfs.sources,
        createdAt,
        appId: request.appId,
      });
      const tarball = join(workDir, 'rootfs.tar');
      await writeRootOwnedTar(rootfs.rootDir, tarball);
      const imageId = await importImageTarball({
        tarball,
        reference: request.reference,
        podmanUrl: this.options.podmanUrl,
        changes: [
          `LABEL org.opencontainers.image.version=${JSON.stringify(request.version)}`,
          `LABEL ${NODE_BUILT_LABEL}=node`,
          'WORKDIR /',
        ],
      });
      try {
        return await this.options.images.save(
          {
            appId: request.appId,
            version: request.version,
            reference: request.reference,
            imageId,
            builtAt: createdAt.toISOString(),
            origin: { kind: 'recipe', manifestFile: request.manifestFile, inputsSha256: rootfs.inputsSha256 },
          },
          { ...sbom, format: SBOM_FORMAT },
        );
      } catch (error) {
        await removeLocalImage(request.reference, this.options.podmanUrl);
        throw error;
      }
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  private async ensureWorkRoot(): Promise<void> {
    await mkdir(this.options.workRoot, { recursive: true, mode: 0o700 });
  }
}

/** `localhost/archipelago/bitcoin-core:31.1` → its name and tag, as the SBOM's subject. */
function subjectOf(reference: string): { name: string; version: string } {
  return { name: nameOf(reference), version: splitImageReference(reference).tag ?? '' };
}
