import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

// The web UI's built files (ui/dist) at `/`. A handful of files from one folder does not need a
// plugin: a stream per file, a content type by extension, and a guard so no path leaves the folder.

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names files under assets/ by their content hash: they never change, so cache them for good. */
const HASHED_PREFIX = '/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The shell must be revalidated so a daemon upgrade reaches the browser at once. */
const REVALIDATE = 'no-cache';
/** First path segments that are never client routes: a miss there is a 404, not the UI shell. */
const NOT_CLIENT_ROUTES = new Set(['rpc', 'ws', 'auth', 'assets']);

const SHELL_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export interface StaticUiOptions {
  /** The built UI (ui/dist), holding index.html and assets/. */
  root: string;
}

/**
 * Serves the built web UI: its files as they are, and index.html for any other path that looks
 * like a client route (/apps/hello), so a reload or a bookmark lands in the app. Loading the
 * shell needs no login; the UI then asks /auth/status. Register beside the API, before listen().
 */
export function registerStaticUi(app: FastifyInstance, options: StaticUiOptions): void {
  const root = resolve(options.root);
  const indexFile = resolve(root, 'index.html');

  app.get('/*', async (request, reply) => {
    const path = requestPath(request.url);
    if (path === undefined) return reply.code(400).type('text/plain').send('bad path\n');
    const file = fileWithin(root, path);
    if (file !== undefined && file !== root && (await isFile(file))) {
      return sendFile(reply, file, path.startsWith(HASHED_PREFIX) ? IMMUTABLE : REVALIDATE);
    }
    const clientRoute = extname(path) === '' && !NOT_CLIENT_ROUTES.has(path.split('/')[1] ?? '');
    if (clientRoute && (await isFile(indexFile))) return sendFile(reply, indexFile, REVALIDATE);
    if (clientRoute) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web UI is not built: run `npm run build` in the Archipelago checkout, then reload.\n');
    }
    return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
  });
}

/** The URL's path, decoded; undefined when it cannot be decoded or holds a NUL. */
export function requestPath(url: string): string | undefined {
  const raw = url.split(/[?#]/, 1)[0] ?? '/';
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (path.includes('\0') || !path.startsWith('/')) return undefined;
  return path;
}

/** The file `path` names inside `root`, or undefined when it would lie outside (`..`, `%2e%2e`). */
export function fileWithin(root: string, path: string): string | undefined {
  const file = resolve(root, `.${path.replace(/\\/g, '/')}`);
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function sendFile(reply: FastifyReply, file: string, cacheControl: string): FastifyReply {
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  reply.header('cache-control', cacheControl).header('x-content-type-options', 'nosniff').type(type);
  if (type.startsWith('text/html')) reply.headers(SHELL_HEADERS);
  return reply.send(createReadStream(file));
}
