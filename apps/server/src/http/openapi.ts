import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema, RouteShorthandOptions } from 'fastify';
import type { z } from 'zod';

/** Where the OpenAPI description of the HTTP API is served. */
export const OPENAPI_PATH = '/api/openapi.json';

/**
 * Generates the OpenAPI 3.1 description from the schemas of the routes registered after it
 * (@fastify/swagger collects them as they are added, whoever adds them) and serves it at
 * {@link OPENAPI_PATH} (OPENAPI-1). Register it before the routes it should describe.
 */
export async function openApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tandem HTTP API',
        version: '1',
        description:
          'Documents, their content and the admin API of a Tandem server. The WebSocket sync endpoint (/sync) is described in PROTOCOL.md.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A Tandem JWT (its `docs` claim grants read or write per document; a service token is one too), or the admin token',
          },
        },
      },
      security: [{ bearer: [] }],
    },
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}

/**
 * Route options that put `schema` in the OpenAPI description without changing how the route
 * runs: the handler keeps validating its input with zod (clear messages in the API's error
 * shape), and replies are serialised as sent.
 */
export function describedBy(
  schema: FastifySchema,
): Pick<RouteShorthandOptions, 'schema' | 'validatorCompiler' | 'serializerCompiler'> {
  return { schema, validatorCompiler: () => () => true, serializerCompiler: () => (data) => JSON.stringify(data) };
}

/** A zod object as the JSON Schema of a query string or body (what a client may send). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema.toJSONSchema({ io: 'input' }) as Record<string, unknown>;
  return rest;
}

/** The `:id` path parameter of the document routes. */
export const ID_PARAM = {
  type: 'object',
  properties: { id: { type: 'string', description: 'The document id (the room name)' } },
  required: ['id'],
} as const;

/** The body of every error answer. */
export const ERROR_BODY = {
  type: 'object',
  properties: {
    error: { type: 'string', description: 'A stable code, e.g. bad_request, forbidden, precondition_failed' },
    message: { type: 'string', description: 'What went wrong, for a person' },
  },
  required: ['error', 'message'],
} as const;

/** An error response of the description. */
export function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: ERROR_BODY } } };
}
