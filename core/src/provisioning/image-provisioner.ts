// How an app version's image gets onto this node, and what the container then runs:
//
//   recipe    the manifest has `build:` → built here from Debian's busybox-static and the app's
//             files (reused while nothing changed)
//   release   the catalog names an official release → if the catalog also names a signed image in
//             a registry and it verifies and pulls, that; otherwise built here from the release,
//             fetched (or brought with --from) and verified against the catalog's SHA-256 and the
//             pinned builders' signatures (reused while Podman still has the image)
//   registry  anything else → the image's cosign signature verified, then pulled by digest
//
// Images built here run by image ID and carry a provenance record and an SBOM; nothing is ever
// trusted by its name alone.

import type { Logger } from 'pino';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import type { OfficialRelease } from '../catalog/index.js';
import type { BuildSpec } from '../manifest/index.js';
import type { ImageProvenance, LocalImages } from './local-images.js';
import type { NodeImageBuilder } from './node-image-builder.js';
import { obtainRelease } from './obtain-release.js';
import type { ProvisionProgress } from './progress.js';
import type { ReleaseCache } from './release-cache.js';
import { splitImageReference } from '../util/image-reference.js';

export interface ProvideRequest {
  appId: string;
  /** For messages: the app's name. */
  title: string;
  version: string;
  /** The reference the manifest or catalog names for this version. */
  image: string;
  /** The digest the signed catalog pins for a registry image. */
  catalogDigest?: string;
  release?: OfficialRelease;
  recipe?: { manifestFile: string; spec: BuildSpec };
  /** A release the user brought (`--from`): the tarball or its folder. */
  from?: string;
  onProgress?: (progress: ProvisionProgress) => void;
  signal?: AbortSignal;
}

export interface ProvidedImage {
  /** What the container runs: an image ID this node built, or a verified digest reference. */
  runImage: string;
  /** Present when this node built the image. */
  provenance?: ImageProvenance;
}

/**
 * What decides the reference an image runs under (the orchestrator's ImageTrust): its signature
 * and the catalog's digest pin checked. Declared here so provisioning does not import the
 * orchestrator, which sits above it.
 */
export interface RunnableImage {
  runnableReference(appId: string, image: string, catalogDigest?: string): Promise<string>;
}

export interface ImageProvisionerOptions {
  trust: RunnableImage;
  images: LocalImages;
  cache: ReleaseCache;
  builder: NodeImageBuilder;
  /** This node's CPU as a release target triplet. */
  arch: string;
  imageExists: (reference: string) => Promise<boolean>;
  /** Pulls a verified reference (with progress events); throws ImageUnavailable when it can't. */
  pull: (appId: string, reference: string) => Promise<void>;
  logger: Logger;
}

/** Node's CPU names → the target triplets official releases are built for. */
const RELEASE_ARCH: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

export function releaseArchOf(nodeArch: string = process.arch): string {
  return RELEASE_ARCH[nodeArch] ?? `${nodeArch}-linux-gnu`;
}

/** A reference Podman keeps locally and never pulls (`localhost/…`). */
export const isLocalReference = (image: string): boolean => image.startsWith('localhost/');

export class ImageProvisioner {
  constructor(private readonly options: ImageProvisionerOptions) {}

  async provide(request: ProvideRequest): Promise<ProvidedImage> {
    if (request.from !== undefined && !request.release)
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `--from installs an official release the user brought; ${request.title} ${request.version} is not built from one`,
      );
    if (request.recipe) {
      const provenance = await this.options.builder.fromRecipe({
        appId: request.appId,
        version: request.version,
        reference: request.image,
        manifestFile: request.recipe.manifestFile,
        spec: request.recipe.spec,
        imageExists: this.options.imageExists,
        ...(request.onProgress && { onProgress: request.onProgress }),
      });
      return { runImage: provenance.imageId, provenance };
    }
    if (request.release) return this.fromRelease(request, request.release);
    return this.pullVerified(request);
  }

  /** The image's signature (and the catalog's digest pin) verified, then pulled by digest. */
  private async pullVerified(request: ProvideRequest): Promise<ProvidedImage> {
    const runImage = await this.options.trust.runnableReference(
      request.appId,
      request.image,
      request.catalogDigest,
    );
    await this.options.pull(request.appId, runImage);
    return { runImage };
  }

  private async fromRelease(request: ProvideRequest, release: OfficialRelease): Promise<ProvidedImage> {
    const kept = await this.options.images.find(request.appId, request.version);
    if (
      request.from === undefined &&
      kept?.origin.kind === 'release' &&
      kept.origin.sha256 === release.files[this.options.arch]?.sha256 &&
      (await this.options.imageExists(kept.imageId))
    )
      return { runImage: kept.imageId, provenance: kept };

    if (request.from === undefined && !isLocalReference(request.image)) {
      // A fleet's catalog may also publish a signed image: use it when it verifies and pulls.
      try {
        return await this.pullVerified(request);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        this.options.logger.warn(
          { app: request.appId, image: request.image, err: error },
          'the signed image is not usable; building from the official release instead',
        );
        request.onProgress?.({
          phase: 'build',
          detail: `the signed image ${request.image} is not usable (${why}); building from the official release`,
        });
      }
    }

    const title = `${request.title} ${request.version}`;
    const obtained = await obtainRelease({
      title,
      appId: request.appId,
      version: request.version,
      release,
      arch: this.options.arch,
      cache: this.options.cache,
      ...(request.from !== undefined && { from: request.from }),
      ...(request.onProgress && { onProgress: request.onProgress }),
      ...(request.signal && { signal: request.signal }),
    });
    const provenance = await this.options.builder.fromRelease({
      appId: request.appId,
      version: request.version,
      reference: localReference(request),
      arch: this.options.arch,
      implementation: release.implementation,
      obtained,
      threshold: release.threshold,
      ...(request.onProgress && { onProgress: request.onProgress }),
      ...(obtained.kept && {
        keepBinaries: (files: Record<string, { path: string; member: string }>) =>
          this.options.cache.keepBinaries(obtained.kept!, files),
      }),
    });
    this.options.logger.info(
      {
        app: request.appId,
        version: request.version,
        image: provenance.imageId,
        tarball: obtained.tarballName,
        sha256: obtained.sha256,
        via: obtained.via,
        ...(obtained.transfer && {
          downloadBytes: obtained.transfer.bytes,
          downloadMs: obtained.transfer.ms,
          downloadMiBps: Number(
            (obtained.transfer.bytes / 2 ** 20 / (obtained.transfer.ms / 1000)).toFixed(1),
          ),
        }),
        signers: provenance.origin.kind === 'release' ? provenance.origin.signers.map((s) => s.userId) : [],
      },
      'built the image from the verified official release',
    );
    return { runImage: provenance.imageId, provenance };
  }
}

/**
 * The local tag of an image built here: the catalog's own when it is local, else the same path
 * under localhost/ (registry.example/archipelago/bitcoin-core:31.1 → localhost/archipelago/…).
 */
function localReference(request: ProvideRequest): string {
  if (isLocalReference(request.image)) return request.image;
  return `localhost/${splitImageReference(request.image).path}:${request.version}`;
}
