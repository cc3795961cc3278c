// Generated profiles are written to a folder the daemon owns (DATA_DIR/apparmor). The daemon
// cannot load them — that needs root — so a root-run step (host setup, or the OS's boot
// service) loads that folder with `apparmor_parser -r`, and the daemon uses a profile only
// once the kernel lists it as loaded.

import { mkdir } from 'node:fs/promises';
import type { AppManifest } from '../../manifest/index.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { appArmorProfilePath, generateAppArmorProfile, type AppArmorProfileInput } from './profile.js';

/** Writes app `manifest.id`'s profile into `dir` (created 0755: root must read it) and returns its path. */
export async function writeAppArmorProfile(
  dir: string,
  manifest: AppManifest,
  input: AppArmorProfileInput,
): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const path = appArmorProfilePath(dir, manifest.id);
  // 0644: the root-run loader reads it; nothing in it is secret.
  await writeFileAtomic(path, generateAppArmorProfile(manifest, input), 0o644);
  return path;
}
