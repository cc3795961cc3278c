// App ids and interfaces share one name space (a dependent reaches whatever answers to the name
// it asked for): a real daemon refuses, at install and leaving nothing, an app that provides a
// bundled or installed app's id, and an app whose id is an interface an installed app provides.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { freePort, helloImage, tempDataDir, uniqueAppId } from '../support/index.js';
import { expectNothingLeft } from './leftovers.js';
import { writeHelloManifest } from './manifests.js';

function writeManifest(dir: string, id: string, provides: string[]): string {
  const path = join(dir, `${id}.yml`);
  const lines = [`id: ${id}`, `name: ${id}`, 'version: "1.0.0"', `image: ${helloImage('1.0.0')}`];
  writeFileSync(path, `${[...lines, `provides: [${provides.join(', ')}]`].join('\n')}\n`);
  return path;
}

describe('provides never names an app id', () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('provides-app-id');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const expectRefused = async (path: string, id: string, expected: RegExp) => {
    const result = await daemon.cli(['install', path]);
    expect(result.code, `install should fail; stdout: ${result.stdout}`).not.toBe(0);
    expect(result.stderr.trim().split('\n'), 'exactly one line on stderr').toHaveLength(1);
    expect(result.stderr).toMatch(expected);
    await expectNothingLeft(daemon, id);
  };

  it("refuses an app that provides a bundled app's id", async () => {
    const id = uniqueAppId('impostor');
    await expectRefused(
      writeManifest(dir, id, ['bitcoin-node', 'bitcoin-core']),
      id,
      new RegExp(
        `'${id}' provides 'bitcoin-core', which is the id of an app in the catalog; .*remove 'bitcoin-core' from its provides`,
      ),
    );
  });

  it("refuses an app that provides an installed app's id, and one whose id an installed app provides", async () => {
    const installed = uniqueAppId('provider');
    const iface = uniqueAppId('iface');
    await daemon.cliJson([
      'install',
      writeHelloManifest(dir, { id: installed, hostPort: await freePort(), extra: `provides: [${iface}]` }),
    ]);
    try {
      const impostor = uniqueAppId('impostor');
      await expectRefused(
        writeManifest(dir, impostor, [installed]),
        impostor,
        new RegExp(`'${impostor}' provides '${installed}', which is the id of an installed app`),
      );
      await expectRefused(
        writeManifest(dir, iface, []),
        iface,
        new RegExp(`'${iface}' is an interface that ${installed} provides, so no app may take it as its id`),
      );
    } finally {
      await daemon.cli(['remove', installed, '--purge', '--yes']);
    }
    await expectNothingLeft(daemon, installed);
  });
});
