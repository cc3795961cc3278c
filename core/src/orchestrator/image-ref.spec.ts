import { describe, expect, it } from 'vitest';
import { parseInsecureRegistries, registryHost } from './image-ref.js';

describe('registryHost', () => {
  it('finds explicit hosts, ports and localhost', () => {
    expect(registryHost('127.0.0.1:5000/apps/hello:1.0.0')).toBe('127.0.0.1:5000');
    expect(registryHost('ghcr.io/org/app:1')).toBe('ghcr.io');
    expect(registryHost('localhost/app:1')).toBe('localhost');
  });
  it('treats bare names and user/repo as Docker Hub', () => {
    expect(registryHost('busybox:1')).toBe('docker.io');
    expect(registryHost('library/busybox:1')).toBe('docker.io');
  });
});

describe('parseInsecureRegistries', () => {
  it('splits, trims and drops empties', () => {
    expect([...parseInsecureRegistries(' 127.0.0.1:5000, ,localhost:5001 ')]).toEqual([
      '127.0.0.1:5000',
      'localhost:5001',
    ]);
    expect(parseInsecureRegistries(undefined).size).toBe(0);
  });
});
