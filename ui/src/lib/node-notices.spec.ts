import { describe, expect, it } from 'vitest';
import { nodeNotices } from './node-notices';

const fresh = { expired: false, expires: '2026-08-01T00:00:00Z', metadataVersion: 4 };

describe('nodeNotices', () => {
  it('says nothing for a node in normal operation', () => {
    expect(nodeNotices({ unsignedRegistries: [] }, fresh)).toEqual([]);
    expect(nodeNotices(undefined, undefined)).toEqual([]);
  });

  it('names the registries whose images run unsigned', () => {
    const [notice] = nodeNotices({ unsignedRegistries: ['127.0.0.1:5000'] }, fresh);
    expect(notice).toMatchObject({ id: 'unsigned-registries', level: 'bad' });
    expect(notice!.text).toMatch(/^Images from 127\.0\.0\.1:5000 run without a signature check/);
  });

  it('warns of an expired catalog and that auto-updates are paused', () => {
    const notices = nodeNotices({ unsignedRegistries: [] }, { ...fresh, expired: true });
    expect(notices).toEqual([
      expect.objectContaining({ id: 'catalog-expired', level: 'warn', title: 'The app catalog has expired' }),
    ]);
    expect(notices[0]!.text).toMatch(/expired on 2026-08-01\. Automatic updates are paused/);
  });
});
