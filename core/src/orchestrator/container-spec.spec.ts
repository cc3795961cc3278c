import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/index.js';
import { buildContainerSpec } from './container-spec.js';
import { DataLayout } from '../layout/index.js';
import { DEFAULT_APP_USER, judgeHostConfinement, PolicyError } from '../security/policy/index.js';

const layout = new DataLayout('/srv/archy');

describe('buildContainerSpec', () => {
  it('turns the contract example into a labelled, networked, bounded container', () => {
    const manifest = parseManifest(
      [
        'id: hello',
        'name: Hello',
        'version: "1.0.0"',
        'image: 127.0.0.1:5000/apps/hello:1.0.0',
        'command: ["/bin/sh", "-c", "exec httpd -f -p 8080 -h /www"]',
        'env: { KEY: value }',
        'ports:',
        '  - container: 8080',
        '    host: 18080',
        'volumes:',
        '  - mount: /data',
        'resources: { memory: 64M, cpus: 0.5, pids: 100 }',
        'health:',
        '  http: { port: 8080, path: / }',
      ].join('\n'),
      'hello.yml',
    );
    const spec = buildContainerSpec(manifest, manifest.services[0]!, {
      layout,
      image: manifest.image,
      version: '1.0.0',
    });
    expect(spec).toMatchObject({
      name: 'archy-hello',
      image: '127.0.0.1:5000/apps/hello:1.0.0',
      command: ['/bin/sh', '-c', 'exec httpd -f -p 8080 -h /www'],
      env: { KEY: 'value' },
      labels: {
        'io.archipelago.app': 'hello',
        'io.archipelago.version': '1.0.0',
        'io.archipelago.data-dir': '/srv/archy',
      },
      netns: { nsmode: 'bridge' },
      Networks: { 'archy-hello': { aliases: ['hello'] } },
      portmappings: [{ container_port: 8080, host_port: 18080, protocol: 'tcp' }],
      restart_policy: 'on-failure',
      restart_tries: 1,
      init: true,
      resource_limits: {
        memory: { limit: 64 * 1024 * 1024 },
        cpu: { quota: 50_000, period: 100_000 },
        pids: { limit: 100 },
      },
    });
    expect(spec.mounts).toEqual([
      {
        Type: 'bind',
        Source: '/srv/archy/apps/hello/data',
        Destination: '/data',
        Options: ['rbind', 'rw', 'U'],
      },
      ...['/tmp', '/var/tmp', '/run'].map((path) => ({
        Type: 'tmpfs',
        Source: 'tmpfs',
        Destination: path,
        Options: ['rw', 'nosuid', 'nodev', 'mode=1777', `size=${64 * 1024 * 1024}`],
      })),
    ]);
    // The container policy's defaults: nothing the manifest did not ask for.
    expect(spec).toMatchObject({ cap_drop: ['ALL'], no_new_privileges: true, read_only_filesystem: true });
    expect(spec).not.toHaveProperty('cap_add');
    // Neither the manifest nor (as far as this call knows) the image names a non-root user.
    expect(spec.user).toBe(DEFAULT_APP_USER);
    expect(spec).not.toHaveProperty('seccomp_policy');
    expect(spec).not.toHaveProperty('seccomp_profile_path');
    expect(spec).not.toHaveProperty('apparmor_profile');
    expect(spec).not.toHaveProperty('selinux_opts');
    // LAN exposure by default; no host_ip means all interfaces.
    expect(spec.portmappings?.[0]).not.toHaveProperty('host_ip');
  });

  it('binds local-only ports to loopback and read-only volumes read-only', () => {
    const manifest = parseManifest(
      [
        'id: quiet',
        'name: Quiet',
        'version: "2.1.0"',
        'image: 127.0.0.1:5000/apps/quiet:2.1.0',
        'ports:',
        '  - { container: 9000, host: 19000, expose: local }',
        'volumes:',
        '  - { mount: /etc/quiet, name: config, readOnly: true }',
      ].join('\n'),
      'quiet.yml',
    );
    const spec = buildContainerSpec(manifest, manifest.services[0]!, {
      layout,
      image: manifest.image,
      version: '2.1.0',
    });
    expect(spec.portmappings?.[0]).toMatchObject({ host_ip: '127.0.0.1', host_port: 19000 });
    expect(spec.mounts?.[0]).toMatchObject({
      Source: '/srv/archy/apps/quiet/config',
      Options: ['rbind', 'ro', 'U'],
    });
    expect(spec).not.toHaveProperty('resource_limits');
  });

  it("runs as the image's resolved user, else the default; always numeric uid:gid; refuses root's ids", () => {
    const manifest = parseManifest(
      'id: users\nname: U\nversion: "1.0.0"\nimage: 127.0.0.1:5000/apps/users:1.0.0\n',
      'users.yml',
    );
    const userFor = (imageUser?: { uid: number; gid: number }) =>
      buildContainerSpec(manifest, manifest.services[0]!, {
        layout,
        image: manifest.image,
        version: '1.0.0',
        ...(imageUser && { imageUser }),
      }).user;
    expect(userFor({ uid: 1001, gid: 1002 })).toBe('1001:1002');
    expect(userFor()).toBe(DEFAULT_APP_USER);
    for (const rootish of [
      { uid: 0, gid: 0 },
      { uid: 0, gid: 1000 },
      { uid: 1000, gid: 0 },
    ]) {
      expect(() => userFor(rootish), JSON.stringify(rootish)).toThrow(PolicyError);
      expect(() => userFor(rootish)).toThrow(
        /Config\.User: the image's user is \d+:\d+ and runs the app (as root|in root's group)/,
      );
    }
    // The manifest's user wins over the image's, written with its group.
    const asked = parseManifest(
      'id: users\nname: U\nversion: "1.0.0"\nimage: 127.0.0.1:5000/apps/users:1.0.0\nsecurity: { user: "2000" }\n',
      'users.yml',
    );
    expect(
      buildContainerSpec(asked, asked.services[0]!, {
        layout,
        image: asked.image,
        version: '1.0.0',
        imageUser: { uid: 0, gid: 0 },
      }).user,
    ).toBe('2000:2000');
  });

  it("applies the manifest's security asks: allowed capabilities, its user, its tmpfs, a writable root", () => {
    const manifest = parseManifest(
      [
        'id: asks',
        'name: Asks',
        'version: "1.0.0"',
        'image: 127.0.0.1:5000/apps/asks:1.0.0',
        'volumes: [ { mount: /data } ]',
        'security:',
        '  capAdd: [CAP_CHOWN, SETUID, SETGID, CHOWN]',
        '  user: "1000:1000"',
        '  tmpfs: [/cache, /tmp]',
        '  readOnlyRootfs: false',
      ].join('\n'),
      'asks.yml',
    );
    const spec = buildContainerSpec(manifest, manifest.services[0]!, {
      layout,
      image: manifest.image,
      version: '1.0.0',
    });
    expect(spec).toMatchObject({
      cap_drop: ['ALL'],
      cap_add: ['CHOWN', 'SETUID', 'SETGID'],
      user: '1000:1000',
      no_new_privileges: true,
      read_only_filesystem: false,
    });
    // A writable root needs no default scratch space: only what the manifest listed.
    expect(spec.mounts?.filter((m) => m.Type === 'tmpfs').map((m) => m.Destination)).toEqual([
      '/cache',
      '/tmp',
    ]);
  });

  it('refuses a manifest the policy does not allow, naming the field', () => {
    const manifest = parseManifest(
      [
        'id: greedy',
        'name: Greedy',
        'version: "1.0.0"',
        'image: 127.0.0.1:5000/apps/g:1.0.0',
        'security: { capAdd: [SYS_ADMIN] }',
      ].join('\n'),
      'greedy.yml',
    );
    expect(() =>
      buildContainerSpec(manifest, manifest.services[0]!, {
        layout,
        image: manifest.image,
        version: '1.0.0',
      }),
    ).toThrow(/security\.capAdd\[0\]: SYS_ADMIN is not on the allowlist/);
    // Granted by the catalog and confirmed by the user, it is added.
    const granted = buildContainerSpec(manifest, manifest.services[0]!, {
      layout,
      image: manifest.image,
      version: '1.0.0',
      grantedCapabilities: ['SYS_ADMIN'],
    });
    expect(granted.cap_add).toEqual(['SYS_ADMIN']);
  });

  it('puts the loaded AppArmor profile and SELinux labels on the container when the host applies them', () => {
    const manifest = parseManifest(
      [
        'id: boxed',
        'name: Boxed',
        'version: "1.0.0"',
        'image: 127.0.0.1:5000/apps/b:1.0.0',
        'volumes: [ { mount: /data } ]',
      ].join('\n'),
      'boxed.yml',
    );
    const confinement = judgeHostConfinement({
      apparmorKernelEnabled: true,
      apparmorEnforcedProfiles: new Set(['archy-boxed']),
      rootless: false,
      selinuxEnabled: true,
    });
    const spec = buildContainerSpec(manifest, manifest.services[0]!, {
      layout,
      image: manifest.image,
      version: '1.0.0',
      confinement,
    });
    expect(spec.apparmor_profile).toBe('archy-boxed');
    expect(spec.selinux_opts).toEqual(['type:container_t']);
    expect(spec.mounts?.[0]?.Options).toEqual(['rbind', 'rw', 'U', 'Z']);
  });
});
