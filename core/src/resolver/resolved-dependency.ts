// The typed values a dependent receives from one dependency, and the network link between them.
// Shared by the install/start plans and by the views over installed apps, so both agree.

import type { AppManifest, DependencySpec } from '../manifest/index.js';
import type { NetworkLink, ResolvedDependency } from './types.js';

export function describeDependency(
  spec: DependencySpec,
  provider: { manifest: AppManifest; version: string },
): ResolvedDependency {
  const ports: ResolvedDependency['ports'] = {};
  const bitcoin = provider.manifest.bitcoin;
  if (bitcoin?.rpcPort !== undefined) ports.rpc = bitcoin.rpcPort;
  if (bitcoin?.p2pPort !== undefined) ports.p2p = bitcoin.p2pPort;
  return {
    requested: spec.id,
    appId: provider.manifest.id,
    version: provider.version,
    requires: spec.requires,
    host: spec.id,
    ports,
    secretRefs: [],
  };
}

/** The dependency answers to its id and to each interface it provides. */
export const networkAliases = (provider: AppManifest): string[] => [
  ...new Set([provider.id, ...provider.provides]),
];

export const linkBetween = (dependent: string, provider: AppManifest): NetworkLink => ({
  dependent,
  dependency: provider.id,
  aliases: networkAliases(provider),
});

/** One link per pair however many names the dependent uses, sorted for stable output. */
export function uniqueLinks(links: readonly NetworkLink[]): NetworkLink[] {
  const key = (link: NetworkLink) => `${link.dependent}\0${link.dependency}`;
  const byPair = new Map(links.map((link) => [key(link), link]));
  return [...byPair.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

/** What to store as an installed app's bindings: requested name → the app that serves it. */
export const bindingsOf = (dependencies: readonly ResolvedDependency[]): Record<string, string> =>
  Object.fromEntries(dependencies.map((dependency) => [dependency.requested, dependency.appId]));
