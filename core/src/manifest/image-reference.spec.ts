import { describe, expect, it } from 'vitest';
import { parseImageReference } from './image-reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  it.each([
    ['127.0.0.1:5000/apps/hello:1.0.0', { registry: '127.0.0.1:5000', path: 'apps/hello', tag: '1.0.0' }],
    ['docker.io/library/busybox:1.36', { registry: 'docker.io', path: 'library/busybox', tag: '1.36' }],
    ['localhost/hello:v1', { registry: 'localhost', path: 'hello', tag: 'v1' }],
    ['busybox:1.36.1-musl', { path: 'busybox', tag: '1.36.1-musl' }],
    [`apps/hello@${DIGEST}`, { path: 'apps/hello', digest: DIGEST }],
    [`ghcr.io/a/b_c.d:28.1@${DIGEST}`, { registry: 'ghcr.io', path: 'a/b_c.d', tag: '28.1', digest: DIGEST }],
  ])('reads %s', (text, expected) => {
    expect(parseImageReference(text)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['busybox', 'has no tag or digest'],
    ['127.0.0.1:5000/apps/hello', 'has no tag or digest'],
    ['busybox:latest', "floating tag 'latest'"],
    ['busybox:Stable', "floating tag 'Stable'"],
    ['127.0.0.1:5000/apps/hello:edge', "floating tag 'edge'"],
    ['busybox:nightly', 'floating tag'],
    ['busybox:master', 'floating tag'],
    ['busybox:main', 'floating tag'],
    [`busybox:latest@${DIGEST}`, 'floating tag'],
    ['Apps/Hello:1.0', 'invalid path component "Apps"'],
    ['apps//hello:1.0', 'invalid path component ""'],
    ['apps/hello:1.0:2', 'invalid tag'],
    ['apps/hello@sha256:abc', 'malformed digest'],
    ['apps/hello@md5:abc@x', "more than one '@'"],
    ['bad_host.io:99999/hello:1', 'invalid registry'],
    [' busybox:1', 'is not an image reference'],
    ['', 'is not an image reference'],
  ])('refuses %j', (text, why) => {
    const result = parseImageReference(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(why);
  });
});
