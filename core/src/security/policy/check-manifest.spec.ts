import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../manifest/index.js';
import { checkManifestPolicy } from './check-manifest.js';

const manifest = (body: string) =>
  parseManifest(
    `id: app\nname: App\nversion: "1.0.0"\nimage: 127.0.0.1:5000/apps/app:1.0.0\n${body}`,
    'app.yml',
  );

const paths = (body: string, granted: string[] = []) =>
  checkManifestPolicy(manifest(body), { grantedCapabilities: granted }).violations.map((v) => v.path);

describe('checkManifestPolicy', () => {
  it('allows a plain manifest, with the allowlisted capabilities normalized and deduplicated', () => {
    const verdict = checkManifestPolicy(
      manifest('volumes: [ { mount: /data } ]\nsecurity: { capAdd: [CAP_CHOWN, CHOWN, NET_BIND_SERVICE] }'),
    );
    expect(verdict.violations).toEqual([]);
    expect(verdict.capAdd).toEqual(['CHOWN', 'NET_BIND_SERVICE']);
  });

  it('refuses capabilities off the allowlist unless granted; never ALL or an unknown name', () => {
    expect(paths('security: { capAdd: [KILL, SYS_ADMIN, NET_RAW] }')).toEqual([
      'security.capAdd[1]',
      'security.capAdd[2]',
    ]);
    expect(paths('security: { capAdd: [SYS_ADMIN, NET_RAW] }', ['CAP_SYS_ADMIN', 'net_raw'])).toEqual([]);
    expect(paths('security: { capAdd: [ALL, MAGIC] }', ['ALL', 'MAGIC'])).toEqual([
      'security.capAdd[0]',
      'security.capAdd[1]',
    ]);
  });

  it('refuses root as user or group, and turning off no-new-privileges', () => {
    // Made in code, past the schema (which refuses the same): the policy judges on its own.
    const plain = manifest('');
    const withUser = (user: string) =>
      checkManifestPolicy({ ...plain, security: { ...plain.security, user } }).violations;
    for (const user of [
      'root',
      '0',
      '00',
      '0:0',
      '1000:0',
      '1000:00',
      'root:users',
      '1000:root',
      'toor',
      '+0',
    ]) {
      expect(
        withUser(user).map((v) => v.path),
        user,
      ).toEqual(['security.user']);
      expect(withUser(user)[0]?.message).toMatch(/remove the key to use the image's user/);
    }
    expect(withUser('1000:1000')).toEqual([]);
    expect(withUser('1000')).toEqual([]);
    expect(paths('security: { user: "1000:1000" }')).toEqual([]);
    expect(paths('security: { noNewPrivileges: false }')).toEqual(['security.noNewPrivileges']);
  });

  it('warns, but allows, a writable root filesystem', () => {
    const verdict = checkManifestPolicy(manifest('security: { readOnlyRootfs: false }'));
    expect(verdict.violations).toEqual([]);
    expect(verdict.warnings.join()).toMatch(/writable root filesystem/);
  });

  it('refuses mounts over kernel filesystems and engine sockets, and tmpfs over a volume', () => {
    expect(
      paths(
        'volumes:\n  - mount: /dev/shm\n  - mount: /var/run/docker.sock\n  - mount: /srv/containerd.sock\n  - mount: /data\nsecurity: { tmpfs: [/data, /proc/x, /cache] }',
      ),
    ).toEqual([
      'volumes[0].mount',
      'volumes[1].mount',
      'volumes[2].mount',
      'security.tmpfs[0]',
      'security.tmpfs[1]',
    ]);
  });

  it('refuses host ports below 1024 and says which port to use instead', () => {
    const verdict = checkManifestPolicy(
      manifest('ports: [ { container: 80, host: 80 }, { container: 8080, host: 1024 } ]'),
    );
    expect(verdict.violations).toHaveLength(1);
    expect(verdict.violations[0]).toMatchObject({ path: 'ports[0].host' });
    expect(verdict.violations[0]!.message).toMatch(/e\.g\. 8080, and keep container: 80/);
  });
});
