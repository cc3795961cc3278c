// The hostile-manifest corpus: every file in hostile-manifests/ says on its first line what it
// must be refused for (`# expect: <regex>`). Each is refused in-process by the parser and the
// container policy, and a handful also end to end through `archy install` against a real
// daemon, leaving nothing behind.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError, MAX_MANIFEST_BYTES, parseManifest } from '../../src/manifest/index.js';
import { assertManifestAllowed } from '../../src/security/policy/index.js';
import { ArchyError } from '../../src/kernel/index.js';
import { expectNothingLeft } from '../daemon/leftovers.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { podman } from '../support/podman-cli.js';
import { freePort, helloImage, registry, tempDataDir, uniqueAppId } from '../support/index.js';

const CORPUS_DIR = fileURLToPath(new URL('./hostile-manifests/', import.meta.url));

// Generous: the worst file (5000 nested lists) parses in well under a second.
const REFUSAL_BOUND_MS = 5_000;

interface HostileManifest {
  file: string;
  text: string;
  expected: RegExp;
}

function loadCorpus(): HostileManifest[] {
  return readdirSync(CORPUS_DIR)
    .filter((file) => file.endsWith('.yml'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(CORPUS_DIR, file), 'utf8');
      const expectation = /^# expect: (.+)$/m.exec(text)?.[1];
      if (expectation === undefined) throw new Error(`${file} has no '# expect: <regex>' line`);
      return { file, text, expected: new RegExp(expectation, 'i') };
    });
}

/** What the daemon does with a manifest before it creates anything: parse, then the policy. */
function judge(text: string, file: string): unknown {
  try {
    assertManifestAllowed(parseManifest(text, file), { file });
    return undefined;
  } catch (error) {
    return error;
  }
}

const corpus = loadCorpus();

describe('hostile manifests are refused in-process', () => {
  it('the corpus has at least 30 manifests', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  it.each(corpus.map((entry) => [entry.file, entry] as const))('%s', (_file, entry) => {
    const started = performance.now();
    const error = judge(entry.text, entry.file);
    expect(performance.now() - started).toBeLessThan(REFUSAL_BOUND_MS);
    expect(error, `${entry.file} was accepted`).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toMatch(entry.expected);
    // The CLI prints the message as one line: no injected newlines from hostile values.
    expect((error as ManifestError).message).not.toContain('\n');
  });

  it('a manifest over the size cap is refused before it is parsed', () => {
    const huge = `id: huge\nname: Huge\nversion: "1.0.0"\nimage: 127.0.0.1:5000/archy-test/hello:1.0.0\ndescription: "${'x'.repeat(MAX_MANIFEST_BYTES)}"\n`;
    const error = judge(huge, 'huge.yml');
    expect(error).toBeInstanceOf(ArchyError);
    expect((error as Error).message).toMatch(/limited to 256 KiB/);
  });
});

// Refused at different stages: the parser (the CLI's own check and the daemon's), or the daemon's
// policy check right after it loads the manifest. Both must leave nothing behind.
const END_TO_END = [
  'privileged.yml',
  'uts-host.yml',
  'billion-laughs.yml',
  'cap-sys-admin.yml',
  'user-root.yml',
  'user-zero-padded.yml',
  'volume-docker-sock.yml',
  'no-new-privileges-off.yml',
];

describe('hostile manifests are refused by a real daemon, leaving nothing', () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('policy-corpus');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it.each(END_TO_END)('archy install %s', async (file) => {
    const entry = corpus.find((candidate) => candidate.file === file)!;
    const id = uniqueAppId(file.replace(/\.yml$/, ''));
    const path = join(dir, file);
    writeFileSync(
      path,
      entry.text.replace(/^id: .*$/m, `id: ${id}`).replace(/^image: .*$/m, `image: ${helloImage('1.0.0')}`),
    );
    const result = await daemon.cli(['install', path]);
    expect(result.code, `archy install ${file} should fail; stdout: ${result.stdout}`).not.toBe(0);
    expect(result.stderr.trim().split('\n'), 'exactly one line on stderr').toHaveLength(1);
    expect(result.stderr).toMatch(entry.expected);
    await expectNothingLeft(daemon, id);
  });
});

/** Whether Podman's local storage holds `image` (`podman image exists` exits 1 when it does not). */
const imageExists = (image: string): Promise<boolean> =>
  podman(['image', 'exists', image]).then(
    () => true,
    () => false,
  );

/**
 * The policy judges a manifest before the install reserves, admits, pulls or creates anything.
 * Each manifest names an image tag the registry does not have: an install that got as far as the
 * pull would fail with "could not pull" instead of the policy's refusal.
 */
describe('the policy refuses before anything is pulled or created', () => {
  let daemon: TestDaemon;
  let dir: string;
  let appsDir: string;

  beforeAll(async () => {
    dir = tempDataDir('policy-first');
    appsDir = join(dir, 'bundled-apps');
    mkdirSync(appsDir);
    daemon = await startDaemon({ dataDir: dir, env: { ARCHY_APPS_DIR: appsDir } });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const neverPushed = (id: string): string => `${registry()}/archy-test/hello:never-pushed-${id}`;

  /** Corpus `file` with its id and image replaced, plus `extra` lines. */
  const hostile = (file: string, id: string, extra: string[] = []): string =>
    [
      corpus
        .find((candidate) => candidate.file === file)!
        .text.replace(/^id: .*$/m, `id: ${id}`)
        .replace(/^image: .*$/m, `image: ${neverPushed(id)}`),
      ...extra,
      '',
    ].join('\n');

  async function expectNoTrace(id: string): Promise<void> {
    await expectNothingLeft(daemon, id);
    expect(await imageExists(neverPushed(id)), 'the image was pulled').toBe(false);
    expect(existsSync(join(dir, 'secrets', id)), 'secrets left behind').toBe(false);
    expect(existsSync(join(dir, 'app-configs', `${id}.json`)), 'app config left behind').toBe(false);
    expect(daemon.log()).not.toContain(`could not pull ${neverPushed(id)}`);
  }

  it.each(['cap-sys-admin.yml', 'user-root.yml', 'no-new-privileges-off.yml'])(
    '%s: refused naming the file and the field, with no pull and nothing left',
    async (file) => {
      const id = uniqueAppId(`first-${file.replace(/\.yml$/, '')}`);
      const path = join(dir, `${id}.yml`);
      writeFileSync(path, hostile(file, id));
      const result = await daemon.cli(['install', path]);
      expect(result.code, `archy install ${file} should fail; stdout: ${result.stdout}`).not.toBe(0);
      expect(result.stderr.trim().split('\n'), 'exactly one line on stderr').toHaveLength(1);
      expect(result.stderr).toContain(path);
      expect(result.stderr).toMatch(corpus.find((candidate) => candidate.file === file)!.expected);
      expect(result.stderr).not.toMatch(/could not pull/);
      await expectNoTrace(id);
    },
  );

  it('a hostile bundled dependency is refused before the app that needs it is reserved or pulled', async () => {
    const dependency = uniqueAppId('first-dep');
    const dependent = uniqueAppId('first-dependent');
    mkdirSync(join(appsDir, dependency));
    const dependencyFile = join(appsDir, dependency, 'manifest.yml');
    writeFileSync(dependencyFile, hostile('cap-sys-admin.yml', dependency));
    const path = join(dir, `${dependent}.yml`);
    writeFileSync(
      path,
      [
        `id: ${dependent}`,
        `name: ${dependent}`,
        'version: "1.0.0"',
        `image: ${neverPushed(dependent)}`,
        'ports:',
        `  - { container: 8080, host: ${await freePort()} }`,
        'dependencies:',
        `  - { id: ${dependency} }`,
        '',
      ].join('\n'),
    );
    const result = await daemon.cli(['install', path]);
    expect(result.code, `the install should fail; stdout: ${result.stdout}`).not.toBe(0);
    expect(result.stderr.trim().split('\n'), 'exactly one line on stderr').toHaveLength(1);
    expect(result.stderr).toContain(dependencyFile);
    expect(result.stderr).toMatch(/security\.capAdd\[0\]: SYS_ADMIN is not on the allowlist/);
    await expectNoTrace(dependency);
    await expectNoTrace(dependent);
  });
});
