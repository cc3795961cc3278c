// "Never root" against real rootless Podman: images whose own user (Config.User) is root by
// number, by name, by a name their /etc/passwd maps to uid 0, or by group are refused at install
// with nothing left behind; an image user that is fine runs as exactly the numeric uid:gid the
// daemon resolved (no supplementary groups from the image's /etc/group, no gid 0 for a uid
// without a passwd entry); and a created container whose user is not what the daemon asked for
// is refused by inspect before it starts.

import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNTS_PURPOSE_LABEL,
  accountsContainerName,
  assertCreatedUser,
} from '../../src/orchestrator/app-user.js';
import { containerName } from '../../src/podman/naming.js';
import { PolicyError } from '../../src/security/policy/index.js';
import { expectNothingLeft } from '../daemon/leftovers.js';
import { DATA_DIR_LABEL, REGISTRY_HOST, TEST_IMAGE_NAMESPACE } from '../support/constants.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import {
  helloImage,
  startTestPodman,
  tempDataDir,
  testLabels,
  uniqueAppId,
  waitFor,
  type TestPodman,
} from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import {
  CONTENT_LABEL,
  hasImageContent,
  pushIfMissing,
  writeReproducibleTar,
} from '../support/test-images.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  // A second name for uid 0, as some images carry.
  'toor:x:0:0:root by another name:/root:/bin/sh',
  'app:x:1000:1000:app:/:/bin/sh',
  'nobody:x:65534:65534:nobody:/:/bin/false',
].join('\n');
// `app` is listed in root's group: Podman adds that as a supplementary group when it resolves
// the user itself (tried here: `USER app` ran with groups=0(root),1000(app)).
const GROUP = ['root:x:0:app', 'app:x:1000:', 'nobody:x:65534:'].join('\n');
// The app's own credentials, where `podman exec` can read them (the exec'd process has its own).
const CMD = ['/bin/sh', '-c', 'cat /proc/self/status > /tmp/status; exec sleep 600'];

/** Config.User of each test image (the tag says which). */
const IMAGE_USERS = {
  'uid-0': '0',
  'uid-00': '00',
  root: 'root',
  toor: 'toor',
  'gid-0': '1000:0',
  app: 'app',
  'uid-1234': '1234',
} as const;
type Variant = keyof typeof IMAGE_USERS;
const imageFor = (variant: Variant): string =>
  `${REGISTRY_HOST}/${TEST_IMAGE_NAMESPACE}/image-user:${variant}`;

/** Busybox with two applets, the account files above, and the variant's USER; pushed to the test registry. */
async function buildImages(): Promise<void> {
  const dir = mkdtempSync(join(tempDataDir('image-user'), 'rootfs-'));
  try {
    const rootfs = join(dir, 'rootfs');
    for (const sub of ['bin', 'etc', 'tmp']) mkdirSync(join(rootfs, sub), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    for (const applet of ['sh', 'cat', 'sleep']) symlinkSync('busybox', join(rootfs, 'bin', applet));
    writeFileSync(join(rootfs, 'etc/passwd'), `${PASSWD}\n`);
    writeFileSync(join(rootfs, 'etc/group'), `${GROUP}\n`);
    const tarball = join(dir, 'rootfs.tar');
    await writeReproducibleTar(rootfs, tarball);
    const busybox = createHash('sha256').update(readFileSync('/bin/busybox')).digest('hex');
    for (const [variant, user] of Object.entries(IMAGE_USERS)) {
      const ref = imageFor(variant as Variant);
      // Built once per content, as the shared test images are.
      const content = createHash('sha256')
        .update(JSON.stringify([busybox, PASSWD, GROUP, user, CMD]))
        .digest('hex')
        .slice(0, 32);
      if (!(await hasImageContent(ref, content)))
        await podman([
          'import',
          '--quiet',
          ...['--change', `USER ${user}`],
          ...['--change', `CMD ${JSON.stringify(CMD)}`],
          ...['--change', `LABEL ${CONTENT_LABEL}=${content}`],
          tarball,
          ref,
        ]);
      await pushIfMissing(ref);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeManifest(dir: string, id: string, variant: Variant, extra = ''): string {
  const path = join(dir, `${id}.yml`);
  writeFileSync(
    path,
    [
      `id: ${id}`,
      `name: Users ${variant}`,
      'version: "1.0.0"',
      `image: ${imageFor(variant)}`,
      'stopTimeout: 1s',
      extra,
    ]
      .filter((line) => line !== '')
      .join('\n') + '\n',
  );
  return path;
}

const accountsContainers = async (id: string): Promise<string> =>
  (await podman(['ps', '-a', '--filter', `name=^archy-${id}-accounts$`, '--format', '{{.Names}}'])).trim();

describe("an image's own user is resolved and judged, never assumed non-root", () => {
  let daemon: TestDaemon;
  let dir: string;

  // What a daemon that stopped between creating and removing its account-reading container left.
  const leftover = uniqueAppId('image-user-leftover');

  beforeAll(async () => {
    dir = tempDataDir('image-user');
    await buildImages();
    const labels = {
      ...testLabels(),
      [DATA_DIR_LABEL]: dir,
      [ACCOUNTS_PURPOSE_LABEL]: 'read-image-accounts',
    };
    await podman([
      'create',
      '--name',
      accountsContainerName(leftover),
      ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
      imageFor('app'),
    ]);
    daemon = await startDaemon({ dataDir: dir });
  }, 180_000);
  afterAll(async () => {
    await daemon?.stop();
  });

  it.each([
    ['uid-0', /the image's user '0' is uid 0 and runs the app as root/],
    ['uid-00', /the image's user '00' is uid 0 and runs the app as root/],
    ['root', /the image's user 'root' is uid 0 and runs the app as root/],
    ['toor', /the image's user 'toor' is uid 0 and runs the app as root/],
    ['gid-0', /the image's user '1000:0' is 1000:0 and runs the app in root's group/],
  ] as const)('Config.User %s is refused at install, leaving nothing', async (variant, expected) => {
    const id = uniqueAppId(`image-user-${variant}`);
    const result = await daemon.cli(['install', writeManifest(dir, id, variant)]);
    expect(result.code, `install should fail; stdout: ${result.stdout}`).not.toBe(0);
    expect(result.stderr.trim().split('\n'), 'exactly one line on stderr').toHaveLength(1);
    expect(result.stderr).toMatch(expected);
    expect(result.stderr).toMatch(/set security\.user in the manifest/);
    await expectNothingLeft(daemon, id);
    expect(await accountsContainers(id), 'the account-reading container was left behind').toBe('');
  });

  it('a leftover account-reading container is removed when the daemon starts', async () => {
    await waitFor(async () => (await accountsContainers(leftover)) === '', {
      what: 'the leftover account-reading container to be removed',
    });
  });

  it("the manifest's own non-root user overrides a root image user", async () => {
    const id = uniqueAppId('image-user-override');
    await daemon.cliJson(['install', writeManifest(dir, id, 'root', 'security: { user: "1000:1000" }')]);
    try {
      const status = await waitFor(
        () => podman(['exec', containerName(id), 'cat', '/tmp/status']).catch(() => undefined),
        { what: 'the app to write its status' },
      );
      expect(status).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
      expect(status).toMatch(/^Gid:\s+1000\s+1000\s+1000\s+1000$/m);
    } finally {
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
    await expectNothingLeft(daemon, id);
  });

  it.each([
    // A name: its uid and primary gid, and none of the groups /etc/group lists it in (root's).
    ['app', '1000:1000', 1000, 1000],
    // A uid with no passwd entry: its own number as gid, where Podman alone would use gid 0.
    ['uid-1234', '1234:1234', 1234, 1234],
  ] as const)(
    'Config.User %s runs as exactly %s, without root in its groups',
    async (variant, user, uid, gid) => {
      const id = uniqueAppId(`image-user-${variant}`);
      await daemon.cliJson(['install', writeManifest(dir, id, variant)]);
      try {
        expect((await podman(['inspect', '--format', '{{.Config.User}}', containerName(id)])).trim()).toBe(
          user,
        );
        const status = await waitFor(
          () => podman(['exec', containerName(id), 'cat', '/tmp/status']).catch(() => undefined),
          { what: 'the app to write its status' },
        );
        expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'));
        expect(status).toMatch(new RegExp(`^Gid:\\s+${gid}\\s+${gid}\\s+${gid}\\s+${gid}$`, 'm'));
        expect(status).toMatch(/^Groups:/m);
        const groups = /^Groups:(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
        expect(groups, 'supplementary groups').not.toContain('0');
        expect(await accountsContainers(id)).toBe('');
      } finally {
        await daemon.cli(['remove', id, '--purge', '--yes']);
      }
      await expectNothingLeft(daemon, id);
    },
  );
});

describe("a created container's user is checked by inspect before it starts", () => {
  let service: TestPodman;

  beforeAll(async () => {
    service = await startTestPodman();
    await service.client.pullImage(helloImage('1.0.0'));
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
  });

  it.each([
    ['no user at all (the image decides, here root)', undefined, '1000:1000'],
    ['a user other than the one asked for', '1001:1001', '1000:1000'],
    ['root, as asked', '0:0', '0:0'],
    ['a bare uid (Podman would pick the gid)', '1000', '1000'],
    ['a name', 'nobody:nobody', 'nobody:nobody'],
  ])('refuses %s', async (_what, user, expected) => {
    const id = uniqueAppId('created-user');
    await service.client.createContainer({
      name: containerName(id),
      image: helloImage('1.0.0'),
      labels: testLabels(),
      ...(user !== undefined && { user }),
    });
    try {
      const check = assertCreatedUser(service.client, { appId: id, expected });
      await expect(check).rejects.toBeInstanceOf(PolicyError);
      await expect(check).rejects.toThrow(/Config\.User: .*removed before it started/);
    } finally {
      await service.client.removeContainer(containerName(id), { force: true });
    }
  });

  it('accepts exactly the numeric uid:gid it asked for', async () => {
    const id = uniqueAppId('created-user-ok');
    await service.client.createContainer({
      name: containerName(id),
      image: helloImage('1.0.0'),
      labels: testLabels(),
      user: '1000:1000',
    });
    try {
      await expect(
        assertCreatedUser(service.client, { appId: id, expected: '1000:1000' }),
      ).resolves.toBeUndefined();
    } finally {
      await service.client.removeContainer(containerName(id), { force: true });
    }
  });
});
