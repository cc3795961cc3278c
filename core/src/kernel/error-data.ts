// What an error's `data` carries, by error code: the facts behind the message, for clients that
// act on them (the UI's guard confirmation, the sources a download tried, a manifest's issues).
// ArchyError's constructor is checked against this map, and clients read `data` through it, so
// the daemon and its clients cannot drift apart. Codes missing from the map carry no data.

import type { AppState } from './app-status.js';
import type { AppGrants } from './install-plan.js';
import { RpcErrorCode, type RpcErrorCodeValue } from './error-codes.js';

// ---- ImageUnavailable / InvalidParams: a release, an image ----

/** Which check refused a release; carried in the error's `data` so tools can switch on it. */
export type PipelineStep =
  | 'config'
  | 'download'
  | 'mirror-check'
  | 'checksum'
  | 'signatures'
  | 'build'
  | 'push'
  | 'sign'
  | 'attest'
  | 'publish';

/** One source a download tried. */
export interface SourceAttempt {
  source: string;
  url: string;
  outcome: 'served' | 'unavailable';
  /** Why it was unavailable. */
  detail?: string;
}

/**
 * The `data` of an ImageUnavailable error when a node refused or could not get an official
 * release: which check (download, signatures, checksum) and every source it tried.
 */
export interface ReleaseRefusalData {
  check?: 'download' | 'signatures' | 'checksum';
  attempts?: SourceAttempt[];
  /** A checksum refusal: the SHA-256 the catalog names, the file's, or the one SHA256SUMS lists. */
  expected?: string;
  actual?: string;
  listed?: string;
  /** A signatures refusal: the signature report and the builders' keys missing (diagnostic). */
  signatures?: unknown;
  missingKeys?: readonly unknown[];
}

/**
 * A release the publisher's pipeline (or a node's download of it) refused: `step` names the check.
 * The rest says what it saw, by step.
 */
export interface PipelineRefusalData {
  step: PipelineStep;
  url?: string;
  /** A download that kept breaking off: the bytes that arrived, and where they are kept. */
  bytes?: number;
  partPath?: string;
  attempts?: SourceAttempt[];
  /** A checksum refusal: the file, the SHA-256 SHA256SUMS lists, and the one it has. */
  fileName?: string;
  expected?: string;
  actual?: string;
  /** A signatures refusal: the signature report (diagnostic; its shape is the pipeline's). */
  report?: unknown;
  /** `archy pipeline build`: the steps that ran and how long each took (diagnostic). */
  steps?: unknown[];
  /** Registry leftovers the rollback could not remove (the operator must). */
  leftovers?: string[];
}

/**
 * Why an image was refused. Travels in the error's `data.reason`, so the orchestrator and UI can
 * tell "not signed" from "tampered" without parsing messages (and without a new RPC code).
 */
export type ImageRefusalReason =
  'unsigned' | 'untrusted' | 'key-not-pinned' | 'digest-mismatch' | 'identity-mismatch' | 'malformed';

export interface ImageRefusalData {
  reason: ImageRefusalReason;
  image: string;
}

/**
 * Why an image's attestation was refused, in the error's `data.reason` (as for signatures). The
 * names differ from the signature reasons so that an SBOM problem is never mistaken for an
 * unsigned or tampered image.
 */
export type AttestationRefusalReason =
  'no-attestation' | 'attestation-untrusted' | 'attestation-subject-mismatch' | 'attestation-malformed';

export interface AttestationRefusalData {
  reason: AttestationRefusalReason;
  image: string;
  predicateType: string;
}

/** The registry's tag no longer points at the digest the signed catalog pins. */
export interface DigestMismatchData {
  reason: 'digest-mismatch';
  image: string;
  pinned: string;
  registryDigest: string;
}

// ---- InvalidManifest ----

/** One problem with a manifest, where it is and what to write instead. */
export interface ManifestIssue {
  /** The file name as the user gave it. */
  file: string;
  /** 1-based. 0 when the problem is with the file as a whole (too large, unreadable). */
  line: number;
  /** 1-based. 0 when `line` is 0. */
  col: number;
  /** Where in the manifest, e.g. "ports[0].host"; "" for the document itself. */
  path: string;
  message: string;
  /** The key or value the user probably meant. */
  suggestion?: string;
}

export interface ManifestIssuesData {
  issues: readonly ManifestIssue[];
}

/** `provides` names an app id. */
export interface ProvidesAppIdData {
  app: string;
  provides: string;
}

// ---- NotFound / Conflict: the dependency resolver ----

/** A dependency nothing (installed) provides, or several do: `candidates` are the ones to offer. */
export interface DependencyRefusalData {
  dependent: string;
  requested: string;
  candidates?: readonly string[];
}

/** An explicit choice of provider that does not provide what was asked. */
export interface ProviderChoiceRefusalData {
  requested: string;
  choice: string;
  candidates: readonly string[];
}

/** A dependency's version range that the installed, chosen or available versions miss. */
export interface VersionRangeRefusalData {
  dependent: string;
  requested: string;
  range: string;
  provider: string;
  installedVersion?: string;
  /** The newest available version that is in range, if any. */
  updateTo?: string | undefined;
  available?: readonly string[];
  chosenVersion?: string;
  chosenFor?: string;
}

export interface DependencyCycleData {
  cycle: readonly string[];
}

/** A new app's id is an interface installed apps provide. */
export interface ProvidedIdData {
  app: string;
  providers: readonly string[];
}

/** `app` conflicts with `other`, which is up. */
export interface ConflictingAppData {
  app: string;
  other: string;
  otherState: AppState;
}

/** Two apps of one install conflict. */
export interface ConflictingPlanData {
  apps: readonly string[];
}

/** Apps that need `id` are running. */
export interface RunningDependentsData {
  id: string;
  dependents: readonly string[];
}

/** A version of `id` would not satisfy `dependent`'s range. */
export interface VersionBreaksDependentData {
  id: string;
  version: string;
  dependent: string;
  requested: string;
  range: string;
}

// ---- Conflict: the Bitcoin version guard, the catalog, an app's data ----

/** What the user must give for a refused start or version change to go ahead. */
export type ConfirmationNeeded = 'nothing' | 'confirmation' | 'typed-confirmation';

/** A version change's or a start's direction: `fresh` has no chain yet, `unknown` no known writer. */
export type VersionChangeKind = 'upgrade' | 'same' | 'downgrade' | 'fresh' | 'unknown';

/** The version guard refused to start a node on its datadir (`guard`), or a version change (`plan`). */
export interface GuardRefusalData {
  guard: { kind: VersionChangeKind; needs: ConfirmationNeeded; rules: string[] };
}
export interface VersionPlanRefusalData {
  plan: { kind: VersionChangeKind; needs: ConfirmationNeeded; warning: string; rules: string[] };
}

/** An imported app's install without the user's confirmation: what it would get. */
export interface ImportedRefusalData {
  imported: AppGrants;
}

/** Why catalog metadata was refused: a freeze, a rollback, … without parsing messages. */
export type CatalogRefusalReason =
  'malformed' | 'signatures' | 'expired' | 'rollback' | 'root-rotation' | 'unavailable';

export interface CatalogRefusalData {
  reason: CatalogRefusalReason;
}

/** A symbolic link in an app's data where the daemon needs to read evidence. */
export interface SymlinkRefusalData {
  symlink: string;
}

// ---- StartFailed ----

/** An app exited right after starting: its exit status and last log lines. */
export interface StartFailedData {
  exitCode?: number;
  logs: string[];
}

/** A new version did not become healthy and the previous one (`restored`) runs again. */
export interface VersionRestoredData {
  logs: string[];
  restored: string;
}

/** The `data` each error code may carry (`undefined`: none). */
export interface RpcErrorDataMap {
  [RpcErrorCode.InvalidParams]: PipelineRefusalData | undefined;
  [RpcErrorCode.NotFound]:
    DependencyRefusalData | ProviderChoiceRefusalData | VersionRangeRefusalData | undefined;
  [RpcErrorCode.Conflict]:
    | GuardRefusalData
    | VersionPlanRefusalData
    | CatalogRefusalData
    | SymlinkRefusalData
    | DependencyCycleData
    | ProvidedIdData
    | DependencyRefusalData
    | VersionRangeRefusalData
    | ConflictingAppData
    | ConflictingPlanData
    | RunningDependentsData
    | VersionBreaksDependentData
    | ImportedRefusalData
    | undefined;
  [RpcErrorCode.InvalidManifest]: ManifestIssuesData | ProvidesAppIdData | undefined;
  [RpcErrorCode.ImageUnavailable]:
    | ReleaseRefusalData
    | PipelineRefusalData
    | ImageRefusalData
    | AttestationRefusalData
    | DigestMismatchData
    | undefined;
  [RpcErrorCode.StartFailed]: StartFailedData | VersionRestoredData | undefined;
}

/** The `data` an error with code `C` carries. */
export type RpcErrorData<C extends RpcErrorCodeValue = RpcErrorCodeValue> = C extends keyof RpcErrorDataMap
  ? RpcErrorDataMap[C]
  : undefined;

/**
 * The `data` of an error that came over the wire, typed by its code: what `wanted` carries when
 * the error has that code (and any data at all), else undefined. Clients (the CLI, the web UI)
 * read data through this rather than guessing at its shape; the daemon built it against
 * RpcErrorDataMap. Every data is an object, so anything else on the wire counts as none.
 */
export function errorDataFor<C extends RpcErrorCodeValue>(
  error: { code: number | undefined; data?: unknown },
  wanted: C,
): RpcErrorData<C> | undefined {
  if (error.code !== wanted || typeof error.data !== 'object' || error.data === null) return undefined;
  return error.data as RpcErrorData<C>;
}
