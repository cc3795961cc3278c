import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  daemonRunFilePath,
  DEFAULT_DAEMON_URL,
  normalizeDaemonUrl,
  resolveDaemonUrl,
} from './resolve-endpoint.js';

describe('resolveDaemonUrl', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'archy-endpoint-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const recordUrl = async (content: string) => {
    await mkdir(join(dataDir, 'run'), { recursive: true });
    await writeFile(daemonRunFilePath(dataDir), content);
  };

  it('prefers --url over what the daemon recorded', async () => {
    await recordUrl('{"url":"http://127.0.0.1:6000","pid":1}');
    expect(await resolveDaemonUrl({ url: 'http://10.0.0.2:5959/', dataDir })).toEqual({
      url: 'http://10.0.0.2:5959',
      source: 'option',
    });
  });

  it('uses DATA_DIR/run/daemon.json when no URL is given', async () => {
    await recordUrl('{"url":"http://[::1]:6000","pid":123}\n');
    expect(await resolveDaemonUrl({ dataDir })).toEqual({ url: 'http://[::1]:6000', source: 'run-file' });
    expect(await resolveDaemonUrl({ url: '', dataDir })).toEqual({
      url: 'http://[::1]:6000',
      source: 'run-file',
    });
  });

  it.each([
    ['missing', undefined],
    ['not JSON', '{"url": "http://127.0.0'],
    ['without a url', '{"pid": 1}'],
    ['with a non-http url', '{"url": "ftp://example"}'],
    ['an array', '[]'],
  ])('falls back to the default when daemon.json is %s', async (_what, content) => {
    if (content !== undefined) await recordUrl(content);
    expect(await resolveDaemonUrl({ dataDir })).toEqual({ url: DEFAULT_DAEMON_URL, source: 'default' });
  });

  it('refuses a --url that is not an http(s) URL, saying what is expected', () => {
    expect(() => normalizeDaemonUrl('ftp://127.0.0.1:5959', '--url')).toThrow(
      /must start with http:\/\/ or https:\/\//,
    );
    expect(() => normalizeDaemonUrl('not a url', '--url')).toThrow(
      "--url 'not a url' is not a URL; expected e.g. http://127.0.0.1:5959",
    );
  });

  it('keeps a path prefix (a reverse proxy) without its trailing slash', () => {
    expect(normalizeDaemonUrl('https://node.local/archy/', '--url')).toBe('https://node.local/archy');
  });
});
