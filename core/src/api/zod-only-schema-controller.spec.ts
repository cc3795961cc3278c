import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { zodOnlySchemaController } from './zod-only-schema-controller.js';

describe('zodOnlySchemaController', () => {
  it('serves routes without schemas as usual', async () => {
    const app = Fastify({ schemaController: zodOnlySchemaController });
    app.post('/echo', async (request) => ({ got: request.body }));
    const response = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
    expect(response.json()).toEqual({ got: { a: 1 } });
    await app.close();
  });

  it('refuses a route that declares a request schema, naming it', async () => {
    const app = Fastify({ schemaController: zodOnlySchemaController });
    app.post('/typed', { schema: { body: { type: 'object' } } }, async () => ({}));
    await expect(app.ready()).rejects.toThrow(/route POST \/typed declares a request schema/);
  });

  it('refuses a route that declares a response schema, naming it', async () => {
    const app = Fastify({ schemaController: zodOnlySchemaController });
    app.get('/typed', { schema: { response: { 200: { type: 'object' } } } }, async () => ({}));
    await expect(app.ready()).rejects.toThrow(/route GET \/typed declares a response schema/);
  });
});
