// Conflicts are symmetric and may name an interface: if Core declares `conflicts: [bitcoin-knots]`
// Knots conflicts with Core too, even when Knots' manifest says nothing, and an app that declares
// `conflicts: [bitcoin-node]` conflicts with every *other* app that provides `bitcoin-node`.
//
// What a conflict forbids is running together — the seed's guard is that Core and Knots never
// run at the same time — not being installed together: a user may keep Knots installed and
// stopped while trying Core. The planners therefore check conflicts only for apps they start.

import type { AppManifest } from '../manifest/index.js';

const declaresConflict = (app: AppManifest, other: AppManifest): boolean =>
  app.conflicts.some((name) => name === other.id || other.provides.includes(name));

export const conflictsWith = (a: AppManifest, b: AppManifest): boolean =>
  a.id !== b.id && (declaresConflict(a, b) || declaresConflict(b, a));
