// Per-app AppArmor profiles: generated from the manifest, written for a root-run loader, used
// by the container policy only when the kernel has them loaded.
export {
  appArmorProfileName,
  appArmorProfilePath,
  generateAppArmorProfile,
  type AppArmorProfileInput,
} from './profile.js';
export { writeAppArmorProfile } from './profile-file.js';
