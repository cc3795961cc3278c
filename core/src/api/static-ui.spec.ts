import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileWithin, registerStaticUi, requestPath } from './static-ui.js';

// The built UI at `/`: files with their types and cache rules, the shell for client routes, and
// nothing outside the folder.
let base: string;
let app: FastifyInstance;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'static-ui-'));
  const root = join(base, 'dist');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Archipelago</title>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(join(root, 'favicon.svg'), '<svg/>');
  writeFileSync(join(base, 'secret.txt'), 'outside the UI folder');
  app = Fastify();
  app.post('/rpc/v1', async () => ({ ok: true }));
  registerStaticUi(app, { root });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  rmSync(base, { recursive: true, force: true });
});

const get = (url: string) => app.inject({ method: 'GET', url });

describe('registerStaticUi', () => {
  it('serves the shell at / and for client routes, revalidated, with a CSP', async () => {
    for (const url of ['/', '/apps/hello', '/marketplace?q=bit']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.body).toContain('<title>Archipelago</title>');
    }
  });

  it('serves hashed assets with their type and a long cache', async () => {
    const js = await get('/assets/index-abc123.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect((await get('/assets/index-abc123.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    const svg = await get('/favicon.svg');
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['cache-control']).toBe('no-cache');
  });

  it('answers 404, not the shell, for missing files and API-looking paths', async () => {
    for (const url of ['/assets/missing.js', '/missing.png', '/rpc/v2', '/auth/nope', '/assets']) {
      expect((await get(url)).statusCode, url).toBe(404);
    }
  });

  it('never serves a file outside its folder', async () => {
    for (const url of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
    ]) {
      const res = await get(url);
      expect(res.body, url).not.toContain('outside the UI folder');
    }
    expect((await get('/%00index.html')).statusCode).toBe(400);
    expect((await get('/%E0%A4%A')).statusCode).toBe(400);
  });

  it('leaves the API routes alone', async () => {
    const res = await app.inject({ method: 'POST', url: '/rpc/v1' });
    expect(res.json()).toEqual({ ok: true });
  });

  it('says how to build the UI when it is missing', async () => {
    const bare = Fastify();
    registerStaticUi(bare, { root: join(base, 'nowhere') });
    const res = await bare.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await bare.close();
  });
});

describe('path guards', () => {
  it('decodes paths and refuses undecodable ones', () => {
    expect(requestPath('/a%20b?x=1')).toBe('/a b');
    expect(requestPath('/%zz')).toBeUndefined();
    expect(requestPath('/a%00')).toBeUndefined();
  });

  it('keeps resolved files inside the root', () => {
    expect(fileWithin('/srv/ui', '/index.html')).toBe('/srv/ui/index.html');
    expect(fileWithin('/srv/ui', '/../etc/passwd')).toBeUndefined();
    expect(fileWithin('/srv/ui', '/a/../../ui2/x')).toBeUndefined();
    expect(fileWithin('/srv/ui', '/..\\..\\etc')).toBeUndefined();
  });
});
