import { z } from 'zod';
import { errorResponse, ID_PARAM, jsonSchemaOf } from './openapi.js';

/** `GET …/versions` query. */
export const listQuery = z
  .object({
    limit: z.coerce
      .number()
      .int('limit must be an integer')
      .min(1, 'limit must be 1–200')
      .max(200, 'limit must be 1–200')
      .default(50),
    before: z
      .string()
      .regex(/^[1-9][0-9]{0,15}$/, 'before must be a cursor from a previous page')
      .optional(),
  })
  .strict();
/** `POST …/versions` body. */
export const createBody = z
  .object({
    label: z.string().trim().min(1, 'label is empty').max(200, 'label is longer than 200 characters'),
  })
  .strict();
/** `GET …/versions/:vid/content` query. */
export const contentQuery = z
  .object({ format: z.enum(['prosemirror', 'html', 'text', 'yjs']).default('prosemirror') })
  .strict();
/** `GET …/versions/:vid/compare` query. */
export const compareQuery = z.object({ to: z.string().default('current') }).strict();

const AUTHOR = {
  type: 'object',
  properties: { userId: { type: ['string', 'null'] }, name: { type: 'string' } },
  required: ['userId', 'name'],
} as const;

const VERSION = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'Opaque, URL-safe' },
    kind: { type: 'string', enum: ['auto', 'named', 'implicit'] },
    label: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'], enum: ['restore', 'import', null], description: 'Set for implicit versions' },
    createdAt: { type: 'string', description: 'ISO 8601' },
    bytes: { type: 'integer', description: 'Size of the stored version (its encoded Yjs state)' },
    authors: { type: 'array', items: AUTHOR, description: 'Who wrote since the previous version' },
    createdBy: { anyOf: [AUTHOR, { type: 'null' }], description: 'Who named it or restored; null for automatic ones' },
  },
  required: ['id', 'kind', 'label', 'reason', 'createdAt', 'bytes', 'authors', 'createdBy'],
} as const;

const VERSION_PARAMS = {
  type: 'object',
  properties: { ...ID_PARAM.properties, vid: { type: 'string', description: 'The version id' } },
  required: ['id', 'vid'],
} as const;

const json = (description: string, schema: object) => ({ description, content: { 'application/json': { schema } } });
const denied = {
  401: errorResponse('No valid token'),
  403: errorResponse('The token does not give the access this needs'),
};
const unknown = { 404: errorResponse('No such document or version') };
const badInput = { 400: errorResponse('A bad id, query or body, named in the message') };

/** The OpenAPI description of the version-history routes (VER-10). */
export const VERSION_ROUTE_SCHEMAS = {
  list: {
    summary: "List a document's versions",
    description: 'Newest first, paged: pass `next` as `before` for the following (older) page. Read access.',
    tags: ['versions'],
    params: ID_PARAM,
    querystring: jsonSchemaOf(listQuery),
    response: {
      200: json('A page of versions', {
        type: 'object',
        properties: { versions: { type: 'array', items: VERSION }, next: { type: ['string', 'null'] } },
        required: ['versions', 'next'],
      }),
      ...badInput,
      ...denied,
      ...unknown,
    },
  },
  create: {
    summary: 'Name the current content',
    description: 'A named version of the document as it is now, durable before the answer. Write access.',
    tags: ['versions'],
    params: ID_PARAM,
    body: jsonSchemaOf(createBody),
    response: { 201: json('The named version', VERSION), ...badInput, ...denied, ...unknown },
  },
  get: {
    summary: 'A version',
    tags: ['versions'],
    params: VERSION_PARAMS,
    response: { 200: json('The version', VERSION), ...badInput, ...denied, ...unknown },
  },
  content: {
    summary: "A version's content",
    description: 'ProseMirror JSON or HTML of the editor field, plain text, or the whole Yjs state. Read access.',
    tags: ['versions'],
    params: VERSION_PARAMS,
    querystring: jsonSchemaOf(contentQuery),
    response: {
      200: {
        description: 'The content in the format asked for',
        content: {
          'application/json': { schema: { type: 'object', description: 'A ProseMirror document' } },
          'text/html': { schema: { type: 'string' } },
          'text/plain': { schema: { type: 'string' } },
          'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
        },
      },
      ...badInput,
      ...denied,
      ...unknown,
      422: errorResponse('Content the editor schema cannot hold'),
    },
  },
  compare: {
    summary: 'Compare a version with the current document or another version',
    description: 'The plain text of `from` against `to`, in document order: equal, inserted and deleted runs.',
    tags: ['versions'],
    params: VERSION_PARAMS,
    querystring: jsonSchemaOf(compareQuery),
    response: {
      200: json('The changes', {
        type: 'object',
        properties: {
          from: VERSION,
          to: { anyOf: [VERSION, { type: 'string', enum: ['current'] }] },
          changes: {
            type: 'array',
            items: {
              type: 'object',
              properties: { type: { type: 'string', enum: ['equal', 'insert', 'delete'] }, text: { type: 'string' } },
              required: ['type', 'text'],
            },
          },
        },
        required: ['from', 'to', 'changes'],
      }),
      ...badInput,
      ...denied,
      ...unknown,
    },
  },
  restore: {
    summary: 'Restore a version',
    description:
      'Makes the content equal to the version as a forward change (live collaborators receive it), after an implicit backup version; answered once durable. Write access.',
    tags: ['versions'],
    params: VERSION_PARAMS,
    response: {
      200: json('Restored', {
        type: 'object',
        properties: { restored: VERSION, backup: VERSION },
        required: ['restored', 'backup'],
      }),
      ...badInput,
      ...denied,
      ...unknown,
      422: errorResponse('The update guard refused the restore’s change'),
      503: errorResponse('The document cannot be loaded now'),
    },
  },
  remove: {
    summary: 'Delete a named version',
    tags: ['versions'],
    params: VERSION_PARAMS,
    response: {
      204: { description: 'Deleted' },
      ...badInput,
      ...denied,
      ...unknown,
      409: errorResponse('Only named versions can be deleted'),
    },
  },
};
