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
