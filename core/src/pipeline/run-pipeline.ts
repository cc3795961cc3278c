// The whole pipeline for one release, in order, each step timed:
//
//   download + verify   verifyRelease: SHA256SUMS agreed by every source, a threshold of pinned
//                       builders' signatures, the tarball's streamed SHA-256
//   build               bitcoind + bitcoin-cli on the minimal base, labelled (image-build.ts)
//   push                the full version's tag, never overwriting one (image-push.ts)
//   sign                the pushed digest, cosign key-pair format
//   attest              the image's SBOM (CycloneDX, every file and its origin), as a cosign
//                       attestation (sha256-<hex>.att): the same SBOM a node makes when it builds
//   publish             {version, image, digest} into the signed catalog (catalog-publish.ts)
//
// Before any download: the config's keys are read and the catalog is checked to be ours and to
// accept this image, so the common mistakes cost nothing and never reach the registry.
// Fail closed: everything is checked that can be before anything is written; the local image is
// always removed at the end; a failure after the push takes the tag and its signature back out
// of the registry. So a failed run leaves no tag a node could pull and no catalog entry.

import { tmpdir } from 'node:os';
import { isFloatingTag } from '../manifest/index.js';
import {
  attestImage,
  CYCLONEDX_PREDICATE_TYPE,
  readSigningKeyFile,
  type SignImageResult,
} from '../security/image-signing/index.js';
import type { BuiltSbom } from '../security/sbom/index.js';
import { SBOM_FORMAT, sbomForRootfs } from './image-sbom.js';
import type { CatalogSigned, Envelope } from '../catalog/index.js';
import { ArchyError } from '../kernel/index.js';
import { checkCatalogUpdate, publishToCatalog } from './catalog-publish.js';
import { buildReleaseImage, imageReference, removeLocalImage, type BuiltImage } from './image-build.js';
import { checkHostArch } from './image-rootfs.js';
import { pushImage, signPushedImage, unpublishImage, type PushedImage } from './image-push.js';
import { registryIsLoopback, requirePublishingConfig, type PipelineConfig } from './pipeline-config.js';
import { refusedStep, releaseRefused, type PipelineStep } from './pipeline-error.js';
import { parseReleaseVersion, type Implementation } from './release-layout.js';
import { disposeVerifiedRelease, verifyRelease, type ReleaseReport } from './verify-release.js';
import { nameOf } from '../util/image-reference.js';

/** The steps as reported and timed. */
export const PIPELINE_STEPS = ['download', 'verify', 'build', 'push', 'sign', 'attest', 'publish'] as const;
export type TimedStep = (typeof PIPELINE_STEPS)[number];

export interface StepTiming {
  step: TimedStep;
  ms: number;
  detail: string;
}

export interface PipelineOptions {
  implementation: Implementation;
  version: string;
  config: PipelineConfig;
  /** Where working folders go; the OS temp folder by default. */
  workRoot?: string;
  /** Hears each step as it finishes (the CLI prints it). */
  onStep?: (timing: StepTiming) => void;
  now?: Date;
}

export interface PipelineResult {
  implementation: Implementation;
  version: string;
  appId: string;
  image: string;
  digest: string;
  pinned: string;
  labels: Record<string, string>;
  /** Where bitcoind and bitcoin-cli were in the release archive. */
  members: Record<string, string>;
  signature: Pick<SignImageResult, 'signatureRef' | 'keyId'>;
  /** The SBOM attached as a cosign attestation. */
  sbom: { sha256: string; attestationRef: string; format: string };
  catalog: { file: string; version: number; expires: string; created: boolean };
  release: ReleaseReport & { sha256: string; sourceUrl: string };
  steps: StepTiming[];
}

/** Data carried by a failed run's error: the failing step and the steps that had finished. */
export interface PipelineFailureData {
  step: PipelineStep;
  steps: StepTiming[];
  /** Registry leftovers the rollback could not remove (the operator must). */
  leftovers?: string[];
}

export const APP_IDS: Record<Implementation, string> = { core: 'bitcoin-core', knots: 'bitcoin-knots' };

/** Runs the pipeline; returns when the image is verified, built, pushed, signed and published. */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const steps: StepTiming[] = [];
  const record = (step: TimedStep, ms: number, detail: string): void => {
    const timing = { step, ms: Math.round(ms), detail };
    steps.push(timing);
    options.onStep?.(timing);
  };
  const workRoot = options.workRoot ?? tmpdir();
  let current: PipelineStep = 'config';
  let built: BuiltImage | undefined;
  let pushed: PushedImage | undefined;
  let published = false;
  const insecure = registryIsLoopback(options.config.registry);

  try {
    // Everything checkable without a download, first.
    if (isFloatingTag(options.version))
      throw releaseRefused(
        'config',
        `'${options.version}' is a floating tag; the pipeline publishes full versions only (e.g. 28.1), never latest/stable`,
      );
    const config = requirePublishingConfig(options.config);
    parseReleaseVersion(options.implementation, options.version);
    checkHostArch(config.arch);
    const signingKeyPem = await readSigningKeyFile(config.signingKey).catch((cause: Error) => {
      throw releaseRefused('config', cause.message, { cause });
    });
    const appId = APP_IDS[options.implementation];
    const image = imageReference(config.registry, options.implementation, options.version);
    await checkCatalogUpdate(config.catalog, config.catalogKey, { appId, version: options.version, image });

    current = 'download';
    const stopwatch = { downloadMs: 0 };
    const started = performance.now();
    const release = await verifyRelease({
      implementation: options.implementation,
      version: options.version,
      config,
      workRoot,
      stopwatch,
      ...(options.now ? { now: options.now } : {}),
    });
    const served = release.report.downloads.filter((d) => d.outcome === 'served').length;
    const fellBack = release.report.downloads.filter((d) => d.outcome === 'unavailable').length;
    record(
      'download',
      stopwatch.downloadMs,
      `${served} files${fellBack ? `, ${fellBack} source(s) unavailable` : ''}`,
    );
    record(
      'verify',
      performance.now() - started - stopwatch.downloadMs,
      `${release.report.signatures.good.length}/${config.threshold} builder signatures, sha256 ${release.sha256.slice(0, 16)}…`,
    );

    try {
      current = 'build';
      let t = performance.now();
      let sbom: BuiltSbom | undefined;
      const createdAt = options.now ?? new Date();
      built = await buildReleaseImage({
        release,
        registry: config.registry,
        arch: config.arch,
        workRoot,
        alongside: async (layout) => {
          sbom = await sbomForRootfs({
            subject: { name: imageName(image), version: release.version },
            rootDir: layout.rootDir,
            sources: layout.sources,
            createdAt,
            appId,
            release: {
              implementation: options.implementation,
              version: release.version,
              tarball: release.tarballName,
              sha256: release.sha256,
              source: release.sourceUrl,
              signers: release.report.signatures.good.map((signer) => signer.fingerprint),
            },
          });
        },
      });
      record('build', performance.now() - t, `${built.reference} (bitcoind from ${built.members.bitcoind})`);

      current = 'push';
      t = performance.now();
      pushed = await pushImage(built.reference, { insecure, workRoot });
      record('push', performance.now() - t, pushed.digest);

      current = 'sign';
      t = performance.now();
      const signature = await signPushedImage(pushed, { privateKeyPem: signingKeyPem, insecure });
      record(
        'sign',
        performance.now() - t,
        `${signature.signatureRef} (key ${signature.keyId.slice(0, 12)})`,
      );

      current = 'attest';
      t = performance.now();
      const attestation = await attestImage({
        imageRef: pushed.pinned,
        predicateType: CYCLONEDX_PREDICATE_TYPE,
        predicate: JSON.parse(sbom!.json) as Record<string, unknown>,
        privateKeyPem: signingKeyPem,
        insecure,
      });
      record(
        'attest',
        performance.now() - t,
        `${attestation.attestationRef} (SBOM sha256 ${sbom!.sha256.slice(0, 16)}…)`,
      );

      current = 'publish';
      t = performance.now();
      const catalog = await publishToCatalog(
        config.catalog,
        config.catalogKey,
        {
          appId,
          version: release.version,
          image: built.reference,
          digest: pushed.digest,
          imageKey: signature.keyId,
        },
        options.now ? { now: options.now } : {},
      );
      published = true;
      record(
        'publish',
        performance.now() - t,
        `${config.catalog} version ${catalog.envelope.signed.version}`,
      );

      return {
        implementation: options.implementation,
        version: release.version,
        appId,
        image: built.reference,
        digest: pushed.digest,
        pinned: pushed.pinned,
        labels: built.labels,
        members: built.members,
        signature: { signatureRef: signature.signatureRef, keyId: signature.keyId },
        sbom: { sha256: sbom!.sha256, attestationRef: attestation.attestationRef, format: SBOM_FORMAT },
        catalog: summary(config.catalog, catalog.envelope, catalog.created),
        release: { ...release.report, sha256: release.sha256, sourceUrl: release.sourceUrl },
        steps,
      };
    } finally {
      await disposeVerifiedRelease(release);
    }
  } catch (error) {
    const step = refusedStep(error) ?? current;
    const leftovers = pushed && !published ? await unpublishImage(pushed, { insecure }) : [];
    const data = {
      ...((error as ArchyError).data as object | undefined),
      step,
      steps,
      ...(leftovers.length ? { leftovers } : {}),
    };
    const message = error instanceof Error ? error.message : String(error);
    const suffix = leftovers.length
      ? ` Could not remove from the registry: ${leftovers.join('; ')} — delete them by hand.`
      : '';
    throw releaseRefused(step, `${message}${suffix}`, { cause: error, data });
  } finally {
    if (built) await removeLocalImage(built.reference);
  }
}

/** `registry/path/name:tag` → `registry/path/name`. */
const imageName = nameOf;

function summary(
  file: string,
  envelope: Envelope<CatalogSigned>,
  created: boolean,
): PipelineResult['catalog'] {
  return { file, version: envelope.signed.version, expires: envelope.signed.expires, created };
}
