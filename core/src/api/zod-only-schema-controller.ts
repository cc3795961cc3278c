import type { FastifyServerOptions } from 'fastify';

/** Fastify hands a compiler the route's definition ({schema, method, url, ...}). */
function refuseSchema(kind: string): (routeDefinition: unknown) => never {
  return (routeDefinition) => {
    const { method, url } = (routeDefinition ?? {}) as { method?: string; url?: string };
    throw new Error(
      `route ${method ?? '?'} ${url ?? '?'} declares a ${kind} schema; this server takes none: parse with zod inside the handler instead`,
    );
  };
}

/**
 * Fastify's schema compilers for a server whose handlers validate with zod: no route declares a
 * JSON Schema. Without these Fastify loads Ajv (with its formats) and fast-json-stringify at
 * startup, a few megabytes of resident memory in the daemon for code it never runs. A route
 * that does declare a schema fails when the server starts, naming the route, rather than being
 * silently unchecked.
 */
export const zodOnlySchemaController: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: () => refuseSchema('request'),
    buildSerializer: () => refuseSchema('response'),
  },
};
