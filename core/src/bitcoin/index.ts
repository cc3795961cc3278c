// Bitcoin Core and Knots: version strings, what a datadir says about who wrote it, and the rules
// deciding whether a version change may go ahead. Pure apart from datadir-inspect's reads (and its
// marker writer); the orchestrator applies the plans. rpcauth lives in security/secrets.

export {
  parseBitcoinVersion,
  requireBitcoinVersion,
  compareBitcoinVersions,
  compareCoreBase,
  sameBitcoinVersion,
  releaseSeries,
  formatBitcoinVersion,
  formatCoreBase,
  displayBitcoinVersion,
  implementationName,
  type BitcoinImplementation,
  type BitcoinVersion,
} from './version.js';
export {
  VERSION_CHANGE_RULES,
  evaluateVersionChange,
  directionOf,
  type VersionChangeRule,
  type VersionChangeEffect,
  type VersionChangeVerdict,
  type VersionChangeContext,
  type RuleBasis,
  type RuleCondition,
  type ChangeDirection,
  type XorKeyState,
  type VersionBound,
} from './downgrade-rules.js';
export {
  inspectDatadir,
  writeVersionMarker,
  versionMarkerText,
  parseBitcoinConf,
  VERSION_MARKER_FILE,
  NETWORK_SUBDIRS,
  DEBUG_LOG_TAIL_BYTES,
  type DatadirFacts,
  type PruneFacts,
  type VersionBanner,
  type VersionMarker,
  type MarkerEntry,
  type InspectOptions,
} from './datadir-inspect.js';
export { bannerOfRun } from './run-banner.js';
export {
  planVersionChange,
  planImplementationSwitch,
  planStartOnDatadir,
  defaultAppId,
  type StartPlan,
  type StartRequest,
  type VersionChangePlan,
  type VersionChangeRequest,
  type ImplementationSwitchPlan,
  type ImplementationSwitchRequest,
  type ConfirmationNeeded,
} from './plan-version-change.js';
