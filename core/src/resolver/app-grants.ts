// What an install grants an app, in the terms a user judges it by: which images run and whether
// anyone signed them, the host ports it opens (to the LAN or only this machine), the folders it
// keeps, the capabilities it adds and the user it runs as, and per dependency the provider it
// binds and what that provider hands over (its own RPC login, ZMQ, a Lightning macaroon or rune
// and TLS certificate). An imported app's install shows exactly this and waits for the user's
// "yes"; every install plan carries it too. Pure: the orchestrator hands in the plan's bindings.

import type { AppGrants, DependencyGrant, ServiceGrant } from '../kernel/index.js';
// provided.ts directly, not the folder's index: the wiring behind the index uses the resolver.
import { exportFor, type ProvidedExport } from '../interfaces/provided.js';
import { referencesIn, type AppManifest, type DependencySpec } from '../manifest/index.js';
import { splitImageReference } from '../util/image-reference.js';
import type { ResolvedDependency } from './types.js';

export interface AppGrantsRequest {
  manifest: AppManifest;
  /** What the plan (or an installed app's record) bound each dependency to (absent: a choice still open). */
  dependencies: readonly Pick<ResolvedDependency, 'requested' | 'appId'>[];
  /** The provider's manifest, by app id. */
  manifestOf: (id: string) => AppManifest | undefined;
  /**
   * Whether the manifest ships with this software (apps/<id>/): its digest pins run unsigned, as
   * an imported app's do once confirmed. Any other manifest's images need a signature.
   */
  bundled: boolean;
}

export function appGrants(request: AppGrantsRequest): AppGrants {
  const { manifest } = request;
  const pinsTrusted = request.bundled || manifest.origin !== undefined;
  return {
    app: manifest.id,
    ...(manifest.origin && { origin: { ...manifest.origin } }),
    services: manifest.services.map((service): ServiceGrant => {
      const pinned = splitImageReference(service.image).digest !== undefined && !service.build;
      return {
        service: service.name,
        image: service.image,
        trust: pinned && pinsTrusted ? 'digest' : 'signature',
        ...(service.security.user !== undefined && { user: service.security.user }),
        capabilities: [...service.security.capAdd],
        ports: service.ports.map((port) => ({
          host: port.host,
          container: port.container,
          protocol: port.protocol,
          expose: port.expose,
        })),
        volumes: service.volumes.map((volume) => ({
          name: volume.name,
          mount: volume.mount,
          readOnly: volume.readOnly,
        })),
      };
    }),
    dependencies: manifest.dependencies.map((spec) => dependencyGrant(spec, request)),
    secrets: generatedSecrets(manifest),
  };
}

function dependencyGrant(spec: DependencySpec, request: AppGrantsRequest): DependencyGrant {
  const resolved = request.dependencies.find((dependency) => dependency.requested === spec.id);
  const provider = resolved && request.manifestOf(resolved.appId);
  if (!resolved || !provider) return { requested: spec.id, interface: spec.id, handsOver: [] };
  const exported = exportFor(provider, spec.id);
  const interfaceName = exported?.kind === 'bitcoin-node' ? 'bitcoin-node' : spec.id;
  return {
    requested: spec.id,
    interface: interfaceName,
    provider: resolved.appId,
    handsOver: exported ? handedOver(exported, spec, request.manifest.id) : [],
  };
}

/** What a provider's export gives this dependent, in words. */
function handedOver(exported: ProvidedExport, spec: DependencySpec, dependent: string): string[] {
  const items: string[] = [];
  const files = spec.files ?? {};
  switch (exported.kind) {
    case 'bitcoin-node':
      items.push(`its own RPC login (archy-${dependent})`);
      items.push(spec.rpcMethods ? `RPC methods: ${spec.rpcMethods.join(', ')}` : 'every RPC method');
      if (exported.zmq.length > 0) items.push(`ZMQ ${exported.zmq.map(({ topic }) => topic).join(', ')}`);
      if (files.password !== undefined) items.push(`the RPC password also at ${files.password}`);
      if (files.cookie !== undefined) items.push(`the RPC cookie also at ${files.cookie}`);
      break;
    case 'lightning-node':
      if (exported.credential) {
        const at = files.credential !== undefined ? ` (also at ${files.credential})` : '';
        items.push(
          `the node's ${exported.credential.kind === 'macaroon' ? 'admin macaroon' : 'rune'} file${at}`,
        );
      }
      if (exported.tlsCert) {
        const at = files.tlsCert !== undefined ? ` (also at ${files.tlsCert})` : '';
        items.push(`its TLS certificate${at}`);
      }
      if (exported.grpcPort !== undefined) items.push(`gRPC port ${exported.grpcPort}`);
      if (exported.restPort !== undefined) items.push(`REST port ${exported.restPort}`);
      break;
    case 'port':
      items.push(`port ${exported.port}`);
      break;
  }
  return items;
}

/** The per-app secrets a manifest references: the node makes them on first use. */
function generatedSecrets(manifest: AppManifest): AppGrants['secrets'] {
  const texts = manifest.services.flatMap((service) => [
    ...Object.values(service.env),
    ...(service.command ?? []),
    ...(service.entrypoint ?? []),
  ]);
  if (manifest.webLogin?.password !== undefined) texts.push(manifest.webLogin.password);
  const names = new Set(texts.flatMap((text) => referencesIn(text)));
  const secrets: AppGrants['secrets'] = [];
  if (names.has('ARCHY_APP_PASSWORD')) secrets.push('app-password');
  if (names.has('ARCHY_APP_SEED')) secrets.push('app-seed');
  return secrets;
}
