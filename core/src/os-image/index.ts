// Archipelago OS's own version and A/B updates as the daemon sees them (README "OS updates").
export { slotFromCmdline, otherSlot } from './kernel-cmdline.js';
export { osImagePaths, spoolFiles, type OsImagePaths } from './paths.js';
export { composeOsStatus, readOsStatus, type OsStatusInputs } from './os-status.js';
export { readBootRecord, readUpdateState } from './state-files.js';
export {
  MAX_BUNDLE_BYTES,
  OsImageControl,
  parseBundleUrl,
  type OsImageControlOptions,
} from './os-image-control.js';
