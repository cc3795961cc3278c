import { describe, expect, it } from 'vitest';
import { staleVolumeMounts } from './container-mounts.js';

const bind = (Source: string, Destination: string) => ({
  Type: 'bind',
  Source,
  Destination,
  RW: true,
  Options: ['rbind'],
});

describe('staleVolumeMounts', () => {
  const expected = [
    { destination: '/data', sources: ['/srv/archy/apps/hello/data', '/mnt/disk/apps/hello/data'] },
  ];

  it('accepts a container that mounts the layout path, or that path with links resolved', () => {
    expect(staleVolumeMounts([bind('/srv/archy/apps/hello/data', '/data')], expected)).toEqual([]);
    expect(staleVolumeMounts([bind('/mnt/disk/apps/hello/data', '/data')], expected)).toEqual([]);
  });

  it('ignores mounts that are not the app volumes (tmpfs, secrets)', () => {
    const mounts = [
      bind('/srv/archy/apps/hello/data', '/data'),
      { Type: 'tmpfs', Source: 'tmpfs', Destination: '/tmp', RW: true, Options: [] },
    ];
    expect(staleVolumeMounts(mounts, expected)).toEqual([]);
  });

  it('names a volume still mounted from where data layout 1 kept it', () => {
    expect(staleVolumeMounts([bind('/srv/archy/hello/data', '/data')], expected)).toEqual([
      '/data mounts /srv/archy/hello/data, not /srv/archy/apps/hello/data',
    ]);
  });

  it('names a volume the container does not mount at all', () => {
    expect(staleVolumeMounts([], expected)).toEqual([
      '/data is not mounted (expected /srv/archy/apps/hello/data)',
    ]);
    expect(staleVolumeMounts(undefined, [])).toEqual([]);
  });
});
