// What the policy adds to every app's container spec: no capabilities but the allowed ones, no
// new privileges, a read-only root with tmpfs where programs expect to write, the manifest's
// user, and the host's mandatory access control where it can be used. Pure: the host facts
// come in as `confinement`, detected once at daemon start.

import type { AppManifest } from '../../manifest/index.js';
import type { ContainerCreateSpec, TmpfsMount } from '../../podman/index.js';
import { checkManifestPolicy, type PolicyOptions } from './check-manifest.js';
import type { HostConfinement } from './host-confinement.js';
import { PolicyError } from './policy-error.js';
import { formatUserIds, parseUserIds, rootRefusal, type UserIds } from '../../manifest/user-ids.js';

/**
 * Where programs expect to write even when everything else is read-only: scratch space, pid
 * files and sockets. Each gets a tmpfs unless a volume is mounted there.
 */
export const DEFAULT_TMPFS = ['/tmp', '/var/tmp', '/run'] as const;

// World-writable with the sticky bit, as on any Linux host, so an app running as its own
// non-root user can write there. No device nodes, no setuid programs from scratch space.
const TMPFS_OPTIONS = ['rw', 'nosuid', 'nodev', 'mode=1777'];

/**
 * The user an app runs as when neither its manifest nor its image names a non-root one. In
 * rootless Podman the container's root is the daemon's own host user; any other uid maps to a
 * sub-uid that owns nothing of the daemon's.
 */
export const DEFAULT_APP_USER = '1000:1000';

export type HardenedFields = Required<
  Pick<ContainerCreateSpec, 'cap_drop' | 'no_new_privileges' | 'read_only_filesystem'>
> &
  Pick<ContainerCreateSpec, 'cap_add' | 'user' | 'apparmor_profile' | 'selinux_opts'>;

export interface Hardening {
  fields: HardenedFields;
  tmpfsMounts: TmpfsMount[];
  /** Extra options for every volume's bind mount (SELinux relabelling). */
  volumeOptions: string[];
  warnings: string[];
}

export interface HardeningOptions extends PolicyOptions {
  /** What the host can enforce; absent means "nothing beyond Podman's defaults". */
  confinement?: HostConfinement;
  /**
   * The image's own user (`Config.User`) resolved to ids against its /etc/passwd and /etc/group
   * (resolveImageUser); absent when the image names none. Used only when the manifest names none.
   */
  imageUser?: UserIds;
}

/** The security part of the app's container spec. Throws PolicyError for a refused manifest. */
export function hardenContainer(manifest: AppManifest, options: HardeningOptions = {}): Hardening {
  const verdict = checkManifestPolicy(manifest, options);
  if (verdict.violations.length > 0)
    throw new PolicyError(`the manifest of '${manifest.id}'`, verdict.violations);
  const warnings = [...verdict.warnings];
  const { security } = manifest;

  const fields: HardenedFields = {
    // Seccomp is left to Podman's default profile: nothing here ever sets seccomp_policy or a
    // profile path, so no app can run unconfined.
    cap_drop: ['ALL'],
    no_new_privileges: true,
    read_only_filesystem: security.readOnlyRootfs,
  };
  if (verdict.capAdd.length > 0) fields.cap_add = verdict.capAdd;
  // The manifest's user, else the image's own, else DEFAULT_APP_USER — always as numeric
  // "uid:gid", so Podman resolves no name and adds no groups from the image's /etc/group.
  const user = appUser(manifest, options.imageUser);
  if ('refused' in user) throw new PolicyError(`the image of '${manifest.id}'`, [user.refused]);
  fields.user = user.user;

  const confinement = options.confinement;
  if (confinement?.apparmor.usable) {
    const profile = confinement.apparmor.profileFor(manifest.id);
    if (profile !== undefined) fields.apparmor_profile = profile;
    else warnings.push(confinement.apparmor.missingProfileWarning(manifest.id));
  }
  const volumeOptions: string[] = [];
  if (confinement?.selinux) {
    fields.selinux_opts = ['type:container_t'];
    // A private label on the app's own folders: under SELinux, container_t cannot read an
    // unlabelled bind mount, and `Z` keeps other containers out of it.
    volumeOptions.push('Z');
  }

  return { fields, tmpfsMounts: tmpfsMounts(manifest), volumeOptions, warnings };
}

function appUser(
  manifest: AppManifest,
  imageUser: UserIds | undefined,
): { user: string } | { refused: { path: string; message: string } } {
  if (manifest.security.user !== undefined) {
    const verdict = parseUserIds(manifest.security.user, { bareUid: 'uid' });
    // checkManifestPolicy has refused anything else already.
    if (verdict.ok) return { user: formatUserIds(verdict.ids) };
  }
  if (imageUser === undefined) return { user: DEFAULT_APP_USER };
  const root = rootRefusal(imageUser);
  if (root === undefined) return { user: formatUserIds(imageUser) };
  return {
    refused: {
      path: 'Config.User',
      message: `the image's user is ${formatUserIds(imageUser)} and ${root}; set security.user in the manifest to a non-root uid:gid such as "1000:1000"`,
    },
  };
}

function tmpfsMounts(manifest: AppManifest): TmpfsMount[] {
  const volumeMounts = new Set(manifest.volumes.map((volume) => volume.mount));
  const wanted = [...(manifest.security.readOnlyRootfs ? DEFAULT_TMPFS : []), ...manifest.security.tmpfs];
  const paths = [...new Set(wanted)].filter((path) => !volumeMounts.has(path));
  // Pages in a tmpfs are charged to the container's memory: no tmpfs may outgrow the app's limit.
  const size = manifest.resources.memory;
  const options = size === undefined ? TMPFS_OPTIONS : [...TMPFS_OPTIONS, `size=${size}`];
  return paths.map((path) => ({ Type: 'tmpfs', Source: 'tmpfs', Destination: path, Options: [...options] }));
}
