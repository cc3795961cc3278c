// A bundled test app that needs a Bitcoin node (`dependencies: [bitcoin-node]`): the hello test
// image serving a page, healthy once httpd answers. For the install plan tests, beside the
// bitcoind TEST DOUBLE's Core and Knots (bitcoin-apps.ts), so that installing it offers a choice.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helloImage } from '../support/index.js';

/** Writes `<appsDir>/<id>/manifest.yml`. */
export function writeNodeUserApp(appsDir: string, id: string, name = `Chain reader ${id}`): void {
  mkdirSync(join(appsDir, id));
  writeFileSync(
    join(appsDir, id, 'manifest.yml'),
    [
      `id: ${id}`,
      `name: ${name}`,
      'version: "1.0.0"',
      'category: bitcoin',
      `image: ${helloImage('1.0.0')}`,
      'command: ["/bin/sh", "-c", "exec httpd -f -p 8080 -h /www"]',
      'stopTimeout: 2s',
      'health:',
      '  http: { port: 8080, path: / }',
      '  interval: 1s',
      'dependencies:',
      '  - id: bitcoin-node',
      '',
    ].join('\n'),
  );
}
