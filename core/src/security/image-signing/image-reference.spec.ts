import { describe, expect, it } from 'vitest';
import { ArchyError } from '../../kernel/index.js';
import {
  formatImageReference,
  manifestReference,
  parseImageReference,
  pinnedReference,
  repositoryName,
} from './image-reference.js';

const DIGEST = `sha256:${'b'.repeat(64)}` as const;

describe('image references', () => {
  it('split registry, repository and tag', () => {
    expect(parseImageReference('127.0.0.1:5000/apps/hello:1.0.0')).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'apps/hello',
      tag: '1.0.0',
    });
    expect(parseImageReference('localhost/x/y')).toEqual({
      registry: 'localhost',
      repository: 'x/y',
      tag: 'latest',
    });
    expect(parseImageReference('ghcr.io/org/app')).toMatchObject({ registry: 'ghcr.io', tag: 'latest' });
  });

  it('prefer the digest when a reference pins one', () => {
    const ref = parseImageReference(`127.0.0.1:5000/apps/hello:1.0.0@${DIGEST}`);
    expect(manifestReference(ref)).toBe(DIGEST);
    expect(formatImageReference(ref)).toBe(`127.0.0.1:5000/apps/hello:1.0.0@${DIGEST}`);
    expect(manifestReference(parseImageReference(`127.0.0.1:5000/apps/hello@${DIGEST}`))).toBe(DIGEST);
  });

  it("name Docker Hub images the way cosign's docker-reference does", () => {
    expect(repositoryName(parseImageReference('busybox'))).toBe('index.docker.io/library/busybox');
    expect(repositoryName(parseImageReference('docker.io/library/busybox:1'))).toBe(
      'index.docker.io/library/busybox',
    );
    expect(repositoryName(parseImageReference('someone/app'))).toBe('index.docker.io/someone/app');
  });

  it('pin to a digest for running', () => {
    expect(pinnedReference(parseImageReference('127.0.0.1:5000/apps/hello:1.0.0'), DIGEST)).toBe(
      `127.0.0.1:5000/apps/hello@${DIGEST}`,
    );
  });

  it.each([
    '',
    'UPPER/case',
    '127.0.0.1:5000/apps/hello:bad tag',
    'a@sha256:123',
    'host:5000/a//b',
    'r/x:-tag',
  ])('refuse %j with an example of the right form', (text) => {
    expect(() => parseImageReference(text)).toThrow(ArchyError);
    expect(() => parseImageReference(text)).toThrow(/registry\/repository:tag/);
  });
});
