import { z } from 'zod';
import { CONTENT_FORMATS, MEDIA_TYPES } from './content-format.js';
import { errorResponse, ID_PARAM, jsonSchemaOf } from './openapi.js';

/** `GET …/content` query. */
export const readQuery = z.object({
  format: z.enum(CONTENT_FORMATS).default('prosemirror').describe('The form to read the content in'),
});
/** `POST …/content` query. */
export const appendQuery = z.object({
  at: z
    .enum(['end', 'start'])
    .default('end')
    .describe('Where the new blocks go: after the last block, or before the first'),
});

const PROSEMIRROR_DOC = {
  type: 'object',
  description: "ProseMirror JSON in the editor's schema: { type: 'doc', content: [...] }",
  properties: { type: { const: 'doc' }, content: { type: 'array', items: { type: 'object' } } },
  required: ['type'],
} as const;

/** Each format's media type with its schema. */
const CONTENT_BODIES = Object.fromEntries(
  CONTENT_FORMATS.map((format) => [
    MEDIA_TYPES[format],
    {
      schema:
        format === 'prosemirror'
          ? PROSEMIRROR_DOC
          : format === 'yjs'
            ? { type: 'string', format: 'binary', description: 'A Yjs update (v1)' }
            : { type: 'string', description: `The content as ${format}` },
    },
  ]),
);

const ETAG_HEADER = { ETag: { schema: { type: 'string' }, description: "The document state's strong ETag" } };

const WRITE_RESPONSES = {
  200: {
    description: 'Applied and durably stored',
    headers: ETAG_HEADER,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: { id: { type: 'string' }, etag: { type: 'string', description: 'The ETag after this write' } },
          required: ['id', 'etag'],
        },
      },
    },
  },
  400: errorResponse('A bad document id or query parameter, invalid JSON or an empty Yjs body'),
  401: errorResponse('No valid token'),
  403: errorResponse('The token does not allow writing this document'),
  412: errorResponse('If-Match names an ETag the document no longer has'),
  413: errorResponse('The body is larger than CONTENT_MAX_BYTES'),
  415: errorResponse('A Content-Type other than the five accepted'),
  422: errorResponse('Content the schema rejects, or a Yjs update the update guard refuses'),
  429: errorResponse('More than CONTENT_RATE_PER_MINUTE requests in a minute from this caller'),
  503: errorResponse('The server is shutting down, or the store is unavailable and writes are paused'),
} as const;

const IF_MATCH = {
  in: 'header',
  name: 'if-match',
  required: false,
  schema: { type: 'string' },
  description: 'Apply only if the document still has this ETag (412 otherwise)',
} as const;

const TOKEN_QUERY = {
  type: 'string',
  description: 'The token, for clients that cannot send an Authorization header',
} as const;

const withToken = (schema: Record<string, unknown>) => ({
  ...schema,
  properties: { ...(schema.properties as object), token: TOKEN_QUERY },
});

/** The OpenAPI description of the content routes. */
export const CONTENT_ROUTE_SCHEMAS = {
  read: {
    summary: "Read a document's content",
    description:
      'Needs read access. An unknown document reads as empty. Send If-None-Match with an ETag to get 304 while it is unchanged.',
    tags: ['content'],
    params: ID_PARAM,
    querystring: withToken(jsonSchemaOf(readQuery)),
    response: {
      200: { description: 'The content in the requested format', headers: ETAG_HEADER, content: CONTENT_BODIES },
      304: { description: 'Unchanged since the ETag in If-None-Match', type: 'null' },
      400: errorResponse('A bad document id or format'),
      401: errorResponse('No valid token'),
      403: errorResponse('The token does not allow reading this document'),
      429: errorResponse('More than CONTENT_RATE_PER_MINUTE requests in a minute from this caller'),
    },
  },
  replace: {
    summary: "Replace a document's content",
    description:
      'Needs write access. The new content is diffed against the current one (y-prosemirror), so blocks that did not change keep their identity and concurrent edits in them survive; a Yjs update is merged as sent. Answered after the durable commit.',
    tags: ['content'],
    params: ID_PARAM,
    querystring: withToken({ type: 'object', properties: {} }),
    headers: { type: 'object', properties: { 'if-match': IF_MATCH.schema } },
    body: { content: CONTENT_BODIES },
    response: WRITE_RESPONSES,
  },
  append: {
    summary: 'Append content to a document',
    description:
      "Needs write access. The body's blocks are inserted after the document's last block (or before its first with at=start); a Yjs update is merged as sent. Answered after the durable commit.",
    tags: ['content'],
    params: ID_PARAM,
    querystring: withToken(jsonSchemaOf(appendQuery)),
    headers: { type: 'object', properties: { 'if-match': IF_MATCH.schema } },
    body: { content: CONTENT_BODIES },
    response: WRITE_RESPONSES,
  },
};
