import rateLimit from '@fastify/rate-limit';
import type { JSONContent, Transform } from '@tandem/transform';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { z } from 'zod';
import { parseRoomName } from '../connection/room-name.js';
import { currentDoc } from '../rooms/current-doc.js';
import type { Room } from '../rooms/room.js';
import { JoinError, type RoomRegistry } from '../rooms/room-registry.js';
import { WritesPausedError } from '../rooms/write-pause.js';
import type { DocStore } from '../storage/doc-store.js';
import type { TransformLoader } from '../transform-loader.js';
import { etagOf, ifMatchAdmits, ifNoneMatchHits } from './content-etag.js';
import {
  CONTENT_FORMATS,
  formatOfMediaType,
  type IncomingContent,
  incomingContent,
  MEDIA_TYPES,
  renderContent,
} from './content-format.js';
import { appendQuery, CONTENT_ROUTE_SCHEMAS, readQuery } from './content-schemas.js';
import { authorOfCaller, type DocumentAccess, type DocumentCaller, type DocumentNeed } from './document-access.js';
import { describedBy } from './openapi.js';

/** What the content API needs. */
export interface ContentRouteDeps {
  readonly access: DocumentAccess;
  readonly registry: Pick<RoomRegistry, 'get' | 'withRoom'>;
  readonly store: Pick<DocStore, 'load'>;
  /** The server's content transform, loaded on first use. */
  readonly transform: TransformLoader;
  /** Largest request body, and requests per minute per caller (token, else client address). */
  readonly limits: { readonly maxBytes: number; readonly ratePerMinute: number };
}

const ACCEPTED = CONTENT_FORMATS.map((format) => `${MEDIA_TYPES[format]} (${format})`).join(', ');

/** How a write ended, decided in the turn it was applied. */
type WriteOutcome =
  | { readonly kind: 'applied'; readonly etag: string }
  | { readonly kind: 'stale'; readonly etag: string }
  | { readonly kind: 'refused'; readonly reason: string };

/** One error body for the API: `{ error, message }` with the status that goes with it. */
function fail(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).send({ error, message });
}

/** The 415 answer: the Content-Type given, and the ones accepted. */
function unsupported(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const given = request.headers['content-type'] ?? 'none';
  return fail(reply, 415, 'unsupported_media_type', `Content-Type ${given} is not accepted; send ${ACCEPTED}`);
}

/**
 * `GET/PUT/POST /api/documents/:id/content` (CONTENT-1…5): read a document as ProseMirror JSON,
 * HTML, Markdown, text or Yjs; replace it or append to it from any of them. A write goes
 * through the room like a session's edit (inspected, relayed, stored, fanned out, notified) and
 * is answered once durable; `If-Match` makes it conditional on the ETag the reader saw.
 */
export async function contentRoutes(app: FastifyInstance, deps: ContentRouteDeps): Promise<void> {
  const { limits } = deps;
  for (const format of ['html', 'markdown'] as const) {
    app.addContentTypeParser(MEDIA_TYPES[format], { parseAs: 'string' }, (_request, body, done) => done(null, body));
  }
  app.addContentTypeParser(MEDIA_TYPES.yjs, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  // Fastify's own errors (body limit, media type, JSON syntax, rate limit) in the API's shape.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413) {
      return fail(
        reply,
        413,
        'payload_too_large',
        `the body is larger than ${limits.maxBytes} bytes (CONTENT_MAX_BYTES)`,
      );
    }
    if (status === 415) return unsupported(request, reply);
    if (status === 429) return fail(reply, 429, 'rate_limited', error.message);
    if (status === 503) return fail(reply, 503, 'unavailable', error.message);
    if (status < 500) return fail(reply, status, 'bad_request', error.message);
    request.log.error({ err: error }, 'content request failed');
    return fail(reply, 500, 'internal', 'the request failed on the server; see its log');
  });

  await app.register(rateLimit, {
    max: limits.ratePerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) =>
      request.headers.authorization ?? (request.query as { token?: string }).token ?? request.ip,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      message: `more than ${context.max} content requests in a minute from this caller (CONTENT_RATE_PER_MINUTE); retry in ${context.after}`,
    }),
  });

  const docId = (request: FastifyRequest, reply: FastifyReply): string | null => {
    const parsed = parseRoomName(encodeURIComponent((request.params as { id: string }).id));
    if (parsed.ok) return parsed.roomId;
    void fail(reply, 400, 'bad_request', parsed.error);
    return null;
  };

  const query = <T>(schema: z.ZodType<T>, request: FastifyRequest, reply: FastifyReply): T | null => {
    const parsed = schema.safeParse(request.query ?? {});
    if (parsed.success) return parsed.data;
    void fail(
      reply,
      400,
      'bad_request',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
    return null;
  };

  /** Admits the caller before the body is read, so nobody without access gets a body parsed (401/403 first). */
  // Who each admitted request speaks for: its writes are attributed to them in the version history.
  const callers = new WeakMap<FastifyRequest, DocumentCaller>();
  const admission = (need: DocumentNeed) => async (request: FastifyRequest, reply: FastifyReply) => {
    const id = docId(request, reply);
    const caller = id === null ? null : await deps.access.admit(request, reply, id, need);
    if (caller === null) return reply;
    callers.set(request, caller);
  };

  const readOptions = { ...describedBy(CONTENT_ROUTE_SCHEMAS.read), onRequest: admission('read') };
  app.get('/api/documents/:id/content', readOptions, async (request, reply) => {
    const id = docId(request, reply);
    const params = id === null ? null : query(readQuery, request, reply);
    if (id === null || params === null) return reply;
    const doc = await currentDoc(deps.registry, deps.store, id);
    try {
      const etag = etagOf(doc);
      void reply.header('etag', etag).header('vary', 'authorization');
      if (ifNoneMatchHits(request.headers['if-none-match'], etag)) return reply.code(304).send();
      const content = renderContent((await deps.transform()).transform, params.format, doc);
      const type = MEDIA_TYPES[params.format];
      return reply.type(type.startsWith('text/') ? `${type}; charset=utf-8` : type).send(content);
    } finally {
      doc.destroy();
    }
  });

  /** Parses the body and applies the write through the room, answering every outcome. */
  const write = async (
    request: FastifyRequest,
    reply: FastifyReply,
    change: (json: JSONContent, room: Room, transform: Transform) => Uint8Array,
  ): Promise<FastifyReply> => {
    const id = docId(request, reply);
    if (id === null) return reply;
    const format = formatOfMediaType(request.headers['content-type']);
    if (format === null) return unsupported(request, reply);
    const { transform, isTransformError } = await deps.transform();
    let incoming: IncomingContent;
    try {
      incoming = incomingContent(transform, format, request.body);
    } catch (err) {
      if (isTransformError(err)) return fail(reply, 422, 'invalid_content', (err as Error).message);
      if (err instanceof RangeError) return fail(reply, 400, 'bad_request', err.message);
      throw err;
    }
    let outcome: WriteOutcome;
    try {
      outcome = await deps.registry.withRoom(id, async (room): Promise<WriteOutcome> => {
        // From here to importUpdate's first await nothing else runs: the ETag checked is the state written on.
        const before = etagOf(room.doc);
        if (!ifMatchAdmits(request.headers['if-match'], before)) return { kind: 'stale', etag: before };
        if (incoming.kind === 'yjs') {
          // Two writers under one client id diverge the document for good (YJS-5): a REST writer is one of its own.
          const held = room.liveWriterOf(incoming.update);
          if (held !== null) {
            return {
              kind: 'refused',
              reason: `Yjs client id ${held} belongs to a live session; write under a client id of your own`,
            };
          }
        }
        const update = incoming.kind === 'yjs' ? incoming.update : change(incoming.json, room, transform);
        const caller = callers.get(request);
        const imported = room.importUpdate(update, caller === undefined ? null : authorOfCaller(caller));
        const etag = etagOf(room.doc);
        const verdict = await imported;
        return verdict.ok ? { kind: 'applied', etag } : { kind: 'refused', reason: verdict.reason };
      });
    } catch (err) {
      if (err instanceof JoinError || err instanceof WritesPausedError) {
        return fail(reply, 503, 'unavailable', `cannot write to ${id}: ${err.message}`);
      }
      throw err;
    }
    switch (outcome.kind) {
      case 'applied':
        return reply.header('etag', outcome.etag).send({ id, etag: outcome.etag });
      case 'stale':
        return fail(
          reply,
          412,
          'precondition_failed',
          `document ${JSON.stringify(id)} changed since the ETag in If-Match was read; it is now ${outcome.etag}: read it again`,
        );
      case 'refused':
        return fail(reply, 422, 'update_refused', `the Yjs update was refused: ${outcome.reason}`);
      default:
        return outcome satisfies never;
    }
  };

  const writeOptions = (schema: FastifySchema) => ({
    ...describedBy(schema),
    bodyLimit: limits.maxBytes,
    onRequest: admission('write'),
  });
  app.put('/api/documents/:id/content', writeOptions(CONTENT_ROUTE_SCHEMAS.replace), (request, reply) =>
    write(request, reply, (json, room, transform) => transform.toUpdate(json, room.doc)),
  );
  app.post('/api/documents/:id/content', writeOptions(CONTENT_ROUTE_SCHEMAS.append), async (request, reply) => {
    const params = query(appendQuery, request, reply);
    if (params === null) return reply;
    return write(request, reply, (json, room, transform) => transform.appendUpdate(json, room.doc, { at: params.at }));
  });
}
