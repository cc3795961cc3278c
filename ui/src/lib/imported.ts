// The words the web UI uses for an imported app and what it was granted; the same facts `archy
// status` and `archy install` print (core's cli/imported-grants.ts and resolver/grant-lines.ts).

import type { AppGrants, ImportedOrigin, ServiceGrant } from '@archipelago/core/contract';

const UPSTREAM_NAMES: Record<ImportedOrigin['kind'], string> = { umbrel: 'Umbrel', parmanode: 'Parmanode' };

export const upstreamName = (kind: ImportedOrigin['kind']): string => UPSTREAM_NAMES[kind];

/** "Imported from Umbrel · upstream 2.0.6 · not signed by the catalog" */
export const importedBadgeText = (origin: ImportedOrigin): string =>
  `Imported from ${upstreamName(origin.kind)} · upstream ${origin.upstreamVersion} · not signed by the catalog`;

/** How a service's image is trusted, in a user's words. */
export const imageTrustText = (service: ServiceGrant): string =>
  service.trust === 'digest' ? 'pinned by digest, not signed by the catalog' : 'signature checked';

/** "runs as 1000:1000" or the image's own user. */
export const userText = (service: ServiceGrant): string =>
  service.user !== undefined ? `runs as ${service.user}` : "runs as the image's own user (never root)";

export const secretText = (secret: AppGrants['secrets'][number]): string =>
  secret === 'app-password' ? 'A password the node generated for it' : 'A seed the node generated for it';
