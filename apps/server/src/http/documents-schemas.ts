import { z } from 'zod';
import { errorResponse, ID_PARAM, jsonSchemaOf } from './openapi.js';

const titleSchema = z.string().trim().min(1, 'title is empty').max(200, 'title is longer than 200 characters');
/** `POST /api/documents` body. */
export const createBody = z.object({ title: titleSchema.optional() }).strict();
/** `PATCH /api/documents/:id` body. */
export const renameBody = z.object({ title: titleSchema }).strict();

const DOCUMENT = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    createdAt: { type: 'string', description: 'ISO time; empty for a document never named through the API' },
    updatedAt: { type: 'string', description: 'ISO time; empty for a document never named through the API' },
  },
  required: ['id', 'title'],
} as const;

const json = (description: string, schema: object) => ({ description, content: { 'application/json': { schema } } });
const NAMED = {
  type: 'object',
  properties: { id: { type: 'string' }, title: { type: 'string' } },
  required: ['id', 'title'],
};

/** The OpenAPI description of the documents routes (DOCS-1). */
export const DOCUMENT_ROUTE_SCHEMAS = {
  list: {
    summary: 'List documents',
    description: 'Named documents and every stored one (an unnamed one is titled by its id).',
    tags: ['documents'],
    response: {
      200: json('The documents', { type: 'object', properties: { documents: { type: 'array', items: DOCUMENT } } }),
    },
  },
  create: {
    summary: 'Create a document',
    tags: ['documents'],
    body: jsonSchemaOf(createBody),
    response: { 201: json('Created, with a fresh 12-character id', NAMED), 400: errorResponse('A bad title') },
  },
  get: {
    summary: "A document's entry",
    tags: ['documents'],
    params: ID_PARAM,
    response: {
      200: json('The document', DOCUMENT),
      400: errorResponse('A bad id'),
      404: errorResponse('No such document'),
    },
  },
  rename: {
    summary: 'Rename a document',
    tags: ['documents'],
    params: ID_PARAM,
    body: jsonSchemaOf(renameBody),
    response: {
      200: json('Renamed', NAMED),
      400: errorResponse('A bad id or title'),
      404: errorResponse('No such document'),
    },
  },
  delete: {
    summary: 'Delete a document',
    description: 'Closes its sessions with 4404 and removes its stored content.',
    tags: ['documents'],
    params: ID_PARAM,
    response: {
      204: { description: 'Deleted' },
      400: errorResponse('A bad id'),
      404: errorResponse('No such document'),
    },
  },
};
