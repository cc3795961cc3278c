import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDownloadAgent,
  downloadFile,
  downloadFromFirstSource,
  SourceUnavailable,
  type SourceAttempt,
} from './download.js';
import { downloadAgreedFile } from './mirror-agreement.js';
import { refusedStep } from './pipeline-error.js';
import {
  closedPortUrl,
  sha256Hex,
  startFileServer,
  tempFolder,
  type FileServer,
} from './spec-release-fixture.js';

let server: FileServer;
let other: FileServer;
let dir: string;
const body = Buffer.alloc(300_000, 7);

beforeEach(async () => {
  server = await startFileServer();
  other = await startFileServer();
  dir = await tempFolder('download');
});
afterEach(async () => {
  await Promise.all([server.close(), other.close()]);
  await rm(dir, { recursive: true, force: true });
});

const options = { maxBytes: 1024 * 1024 };

describe('downloadFile', () => {
  it('streams to a file and hashes on the way', async () => {
    server.routes.set('/f', body);
    const file = await downloadFile(`${server.url}f`, join(dir, 'f'), options);
    expect(file).toMatchObject({ bytes: body.length, sha256: sha256Hex(body) });
    expect(await readFile(join(dir, 'f'))).toEqual(body);
  });

  it('follows redirects with the download agent', async () => {
    server.routes.set('/f', body);
    const dispatcher = createDownloadAgent();
    try {
      // A tiny redirecting server: the other one answers 302 to the first.
      other.routes.set('/moved', 'x');
      const { createServer } = await import('node:http');
      const redirector = createServer((_req, res) =>
        res.writeHead(302, { location: `${server.url}f` }).end(),
      );
      await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
      const port = (redirector.address() as { port: number }).port;
      const file = await downloadFile(`http://127.0.0.1:${port}/x`, join(dir, 'f'), {
        ...options,
        dispatcher,
      });
      expect(file.sha256).toBe(sha256Hex(body));
      await new Promise((resolve) => redirector.close(resolve));
    } finally {
      await dispatcher.close();
    }
  });

  it('reports a 404 and a refused connection as an unavailable source', async () => {
    await expect(downloadFile(`${server.url}missing`, join(dir, 'a'), options)).rejects.toThrow(
      SourceUnavailable,
    );
    server.routes.set('/busy', { status: 503 });
    await expect(downloadFile(`${server.url}busy`, join(dir, 'b'), options)).rejects.toThrow(/HTTP 503/);
    await expect(downloadFile(`${await closedPortUrl()}x`, join(dir, 'c'), options)).rejects.toThrow(
      /ECONNREFUSED/,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails a body cut short and removes the partial file', async () => {
    server.routes.set('/short', { body, sendBytes: 70_000 });
    const error = await downloadFile(`${server.url}short`, join(dir, 'short'), options).catch(
      (e: unknown) => e,
    );
    expect(refusedStep(error)).toBe('download');
    expect((error as Error).message).toMatch(/was cut short after \d+ of 300000 bytes/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a file over the cap, announced or not', async () => {
    server.routes.set('/big', body);
    await expect(downloadFile(`${server.url}big`, join(dir, 'big'), { maxBytes: 1000 })).rejects.toThrow(
      /announces 300000 bytes, more than the 1000-byte cap/,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('times out a source that never answers', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      await expect(
        downloadFile(`http://127.0.0.1:${port}/x`, join(dir, 'x'), { ...options, headersTimeoutMs: 200 }),
      ).rejects.toThrow(SourceUnavailable);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('downloadFromFirstSource', () => {
  it('tries sources in order and records each try', async () => {
    other.routes.set('/f', body);
    const attempts: SourceAttempt[] = [];
    const file = await downloadFromFirstSource(
      'f',
      [
        { source: server.url, url: `${server.url}f` },
        { source: other.url, url: `${other.url}f` },
      ],
      join(dir, 'f'),
      options,
      attempts,
    );
    expect(file.url).toBe(`${other.url}f`);
    expect(attempts.map((a) => a.outcome)).toEqual(['unavailable', 'served']);
  });
});

describe('downloadAgreedFile', () => {
  const both = () => [
    { source: server.url, url: `${server.url}SHA256SUMS` },
    { source: other.url, url: `${other.url}SHA256SUMS` },
  ];

  it('keeps one copy when every source agrees', async () => {
    server.routes.set('/SHA256SUMS', 'same\n');
    other.routes.set('/SHA256SUMS', 'same\n');
    const file = await downloadAgreedFile('SHA256SUMS', both(), join(dir, 'SHA256SUMS'), options, []);
    expect(file.source).toBe(server.url);
    expect(await readdir(dir)).toEqual(['SHA256SUMS']);
  });

  it('fails closed when a mirror disagrees with the primary', async () => {
    server.routes.set('/SHA256SUMS', 'one\n');
    other.routes.set('/SHA256SUMS', 'two\n');
    const error = await downloadAgreedFile('SHA256SUMS', both(), join(dir, 'SHA256SUMS'), options, []).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(refusedStep(error)).toBe('mirror-check');
    expect(error?.message).toContain(
      `mirror ${other.url} serves different SHA256SUMS than primary ${server.url}`,
    );
  });

  it('says so when the primary was down and two mirrors disagree', async () => {
    const third = await startFileServer();
    try {
      server.routes.set('/SHA256SUMS', 'one\n');
      third.routes.set('/SHA256SUMS', 'two\n');
      const down = await closedPortUrl();
      const error = await downloadAgreedFile(
        'SHA256SUMS',
        [
          { source: down, url: `${down}SHA256SUMS` },
          { source: server.url, url: `${server.url}SHA256SUMS` },
          { source: third.url, url: `${third.url}SHA256SUMS` },
        ],
        join(dir, 'SHA256SUMS'),
        options,
        [],
      ).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toContain(
        `than ${server.url} (the first source that answered; the primary did not)`,
      );
    } finally {
      await third.close();
    }
  });
});
