// The container policy: what every app's container gets (no capabilities but allowed ones, no
// new privileges, read-only root with scratch tmpfs, Podman's seccomp, AppArmor/SELinux where
// the host can apply them) and what no manifest may ask for.
export {
  checkManifestPolicy,
  MIN_HOST_PORT,
  type PolicyOptions,
  type PolicyVerdict,
  type PolicyViolation,
} from './check-manifest.js';
export { assertManifestAllowed } from './assert-allowed.js';
export { PolicyError } from './policy-error.js';
export {
  ALLOWED_CAPABILITIES,
  LINUX_CAPABILITIES,
  judgeCapability,
  normalizeCapability,
  type CapabilityVerdict,
} from './capabilities.js';
export {
  engineSocketRefusal,
  kernelPathRefusal,
  unusualPathRefusal,
  PLAIN_CONTAINER_PATH,
} from './container-paths.js';
export {
  hardenContainer,
  DEFAULT_APP_USER,
  DEFAULT_TMPFS,
  type Hardening,
  type HardenedFields,
  type HardeningOptions,
} from './hardening.js';
export {
  detectHostConfinement,
  judgeHostConfinement,
  readHostSecurityFacts,
  parseLoadedProfiles,
  NO_EXTRA_CONFINEMENT,
  summarizeHostConfinement,
  type HostConfinement,
  type HostConfinementSummary,
  type HostSecurityFacts,
} from './host-confinement.js';
export {
  EXAMPLE_USER,
  formatUserIds,
  MAX_ID,
  parseUserIds,
  rootRefusal,
  type ParseUserOptions,
  type UserIds,
  type UserVerdict,
} from '../../manifest/user-ids.js';
export {
  needsAccountFiles,
  resolveImageUser,
  type ImageAccountFiles,
  type ImageUserVerdict,
} from './image-user.js';
export { assertBoundVolumeSafe, assertVolumeDirsSafe, type VolumeDirLayout } from './volume-dirs.js';
export { appArmorInputFor } from './apparmor-input.js';
