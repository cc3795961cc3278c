import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helloImage } from '../support/index.js';

/** A hello-app manifest with its own id and host port, written to `dir`. Returns its path. */
export function writeHelloManifest(
  dir: string,
  options: { id: string; hostPort: number; version?: string; image?: string; extra?: string },
): string {
  const version = options.version ?? '1.0.0';
  const yaml = [
    `id: ${options.id}`,
    `name: Hello ${options.id}`,
    `version: "${version}"`,
    `image: ${options.image ?? helloImage(version)}`,
    'command: ["/bin/sh", "-c", "exec httpd -f -p 8080 -h /www"]',
    'ports:',
    '  - container: 8080',
    `    host: ${options.hostPort}`,
    'volumes:',
    '  - mount: /data',
    'stopTimeout: 2s',
    'health:',
    '  http: { port: 8080, path: / }',
    '  interval: 2s',
    options.extra ?? '',
  ].join('\n');
  const path = join(dir, `${options.id}.yml`);
  writeFileSync(path, `${yaml}\n`);
  return path;
}

/**
 * An app whose health the test can break while its process lives on: httpd serves /ok from
 * /tmp/w, which the test empties with `podman exec archy-<id> rm /tmp/w/ok`; a restart serves it
 * again. `probe` is the health block's probe line; `hostPort` publishes 8080 (else nothing is).
 */
export function writeBreakableManifest(
  dir: string,
  options: { id: string; probe?: string; hostPort?: number },
): string {
  const yaml = [
    `id: ${options.id}`,
    `name: Breakable ${options.id}`,
    'version: "1.0.0"',
    `image: ${helloImage('1.0.0')}`,
    'command: ["/bin/sh", "-c", "mkdir -p /tmp/w && echo ok > /tmp/w/ok && exec httpd -f -p 8080 -h /tmp/w"]',
    ...(options.hostPort !== undefined
      ? ['ports:', `  - { container: 8080, host: ${options.hostPort} }`]
      : []),
    'security: { tmpfs: [/tmp] }',
    'stopTimeout: 2s',
    'health:',
    `  ${options.probe ?? 'http: { port: 8080, path: /ok }'}`,
    '  interval: 1s',
    '  retries: 2',
    '  startPeriod: 1s',
  ].join('\n');
  const path = join(dir, `${options.id}.yml`);
  writeFileSync(path, `${yaml}\n`);
  return path;
}
