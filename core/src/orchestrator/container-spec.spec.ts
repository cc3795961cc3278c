import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/index.js';
import { buildContainerSpec } from './container-spec.js';
import { DataLayout } from './data-layout.js';

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
    const spec = buildContainerSpec(manifest, { layout, image: manifest.image, version: '1.0.0' });
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
      restart_policy: 'no',
      init: true,
      resource_limits: {
        memory: { limit: 64 * 1024 * 1024 },
        cpu: { quota: 50_000, period: 100_000 },
        pids: { limit: 100 },
      },
    });
    expect(spec.mounts).toEqual([
      { Type: 'bind', Source: '/srv/archy/hello/data', Destination: '/data', Options: ['rbind', 'rw', 'U'] },
    ]);
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
    const spec = buildContainerSpec(manifest, { layout, image: manifest.image, version: '2.1.0' });
    expect(spec.portmappings?.[0]).toMatchObject({ host_ip: '127.0.0.1', host_port: 19000 });
    expect(spec.mounts?.[0]).toMatchObject({
      Source: '/srv/archy/quiet/config',
      Options: ['rbind', 'ro', 'U'],
    });
    expect(spec).not.toHaveProperty('resource_limits');
  });
});
