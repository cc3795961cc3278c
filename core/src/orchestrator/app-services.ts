// The services of one app as the orchestrator sees them: which container each one is, the order
// they start in, and what "the app's containers" add up to. Pure: the effects act on it.

import type { AppManifest, ServiceSpec } from '../manifest/index.js';
import { serviceContainerName } from '../podman/naming.js';

/** More than one container: the app gets its own services network and per-service names. */
export const isMultiService = (manifest: AppManifest): boolean => manifest.services.length > 1;

export const isMainService = (manifest: AppManifest, service: ServiceSpec | string): boolean =>
  (typeof service === 'string' ? service : service.name) === manifest.main;

/** The Podman name of a service's container (`archy-<id>` for the main one). */
export const containerNameOf = (manifest: AppManifest, service: ServiceSpec | string): string =>
  serviceContainerName(
    manifest.id,
    typeof service === 'string' ? service : service.name,
    isMainService(manifest, service),
  );

/**
 * The app's manifest as one service sees it: the container fields (image, command, env, ports,
 * volumes, resources, security, health, stop timeout) are the service's. For a single-container
 * app that is the manifest itself, so the container policy and the spec read what they always did.
 */
export function serviceView(manifest: AppManifest, service: ServiceSpec): AppManifest {
  // Optional fields the service leaves out must not fall through from the main's.
  const { build: _build, command: _command, entrypoint: _entrypoint, health: _health, ...app } = manifest;
  const { name: _name, dependsOn: _dependsOn, uses: _uses, ...container } = service;
  return { ...app, ...container };
}

/**
 * The order services start in: each after every service it depends on (the schema refused
 * cycles), ties in the manifest's order. Stopping goes the other way.
 */
export function startOrder(manifest: AppManifest): ServiceSpec[] {
  const ordered: ServiceSpec[] = [];
  const placed = new Set<string>();
  while (ordered.length < manifest.services.length) {
    const next = manifest.services.find(
      (service) => !placed.has(service.name) && service.dependsOn.every((name) => placed.has(name)),
    );
    // A cycle cannot pass the schema; stop rather than loop if one ever did.
    if (!next) throw new Error(`the services of '${manifest.id}' depend on each other in a circle`);
    ordered.push(next);
    placed.add(next.name);
  }
  return ordered;
}

export const stopOrder = (manifest: AppManifest): ServiceSpec[] => startOrder(manifest).reverse();
