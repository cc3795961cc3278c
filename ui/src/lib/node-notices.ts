import type { CatalogStatusReport, RpcMethods } from '@archipelago/core/contract';

// What the whole UI must say about how this node protects itself, on every page: a development
// escape from image signature checks, and a catalog past its expiry (no auto-updates from it).

export type DaemonInfo = RpcMethods['daemon-info']['result'];

export interface NodeNotice {
  id: 'unsigned-registries' | 'catalog-expired';
  level: 'bad' | 'warn';
  title: string;
  text: string;
}

export function nodeNotices(
  info: Pick<DaemonInfo, 'unsignedRegistries'> | undefined,
  catalog: Pick<CatalogStatusReport, 'expired' | 'expires' | 'metadataVersion'> | undefined,
): NodeNotice[] {
  const notices: NodeNotice[] = [];
  const unsigned = info?.unsignedRegistries ?? [];
  if (unsigned.length > 0) {
    notices.push({
      id: 'unsigned-registries',
      level: 'bad',
      title: 'Development mode: image signatures are not checked',
      text:
        `Images from ${unsigned.join(', ')} run without a signature check (ARCHY_UNSIGNED_REGISTRIES). ` +
        'Never run a node like this outside development: unset it and restart the node.',
    });
  }
  if (catalog?.expired) {
    notices.push({
      id: 'catalog-expired',
      level: 'warn',
      title: 'The app catalog has expired',
      text:
        `Catalog version ${catalog.metadataVersion} expired on ${catalog.expires.slice(0, 10)}. Automatic ` +
        'updates are paused until a fresh signed catalog arrives; versions you choose yourself still install.',
    });
  }
  return notices;
}
