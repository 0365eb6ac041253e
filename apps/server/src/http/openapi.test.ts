import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describedBy, jsonSchemaOf, OPENAPI_PATH, openApi } from './openapi.js';

describe('the OpenAPI description', () => {
  it('OPENAPI-1: describes every route registered after it that carries a schema, described-only or validated', async () => {
    const app = Fastify();
    await openApi(app);
    const body = z.object({ name: z.string().min(1, 'name is empty') }).strict();
    await app.register(async (scope) => {
      // Described only: the handler validates with zod and answers in its own words.
      scope.post(
        '/things',
        describedBy({ summary: 'Make a thing', body: jsonSchemaOf(body) }),
        async (request, reply) => {
          const parsed = body.safeParse(request.body);
          if (!parsed.success)
            return reply.code(400).send({ error: 'bad_request', message: parsed.error.issues[0]?.message });
          return { name: parsed.data.name };
        },
      );
      // A plain Fastify schema (validated by Fastify) from another plugin is described the same way.
      scope.get(
        '/things/:id',
        { schema: { summary: 'A thing', params: { type: 'object', properties: { id: { type: 'string' } } } } },
        async () => ({}),
      );
    });
    const spec = (await app.inject({ url: OPENAPI_PATH })).json() as {
      paths: Record<string, Record<string, { summary?: string; requestBody?: unknown }>>;
    };
    expect(spec.paths['/things']?.post?.summary).toBe('Make a thing');
    expect(spec.paths['/things']?.post?.requestBody).toMatchObject({
      content: { 'application/json': { schema: { properties: { name: { type: 'string', minLength: 1 } } } } },
    });
    expect(spec.paths['/things/{id}']?.get?.summary).toBe('A thing');
    expect(spec.paths[OPENAPI_PATH]).toBeUndefined();
    // The described-only route still answers with zod's message, not a schema validator's.
    const refused = await app.inject({ method: 'POST', url: '/things', payload: { name: '' } });
    expect(refused.json()).toEqual({ error: 'bad_request', message: 'name is empty' });
    await app.close();
  });
});
