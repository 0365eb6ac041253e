import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as Y from 'yjs';
import { parseRoomName } from '../connection/room-name.js';
import type { DeleteDocument } from '../document-deletion.js';
import { docToJson, docToText } from '../ops/doc-export.js';
import type { Recorder } from '../ops/recorder.js';
import type { ImportVerdict } from '../rooms/room.js';
import { JoinError, type RoomRegistry } from '../rooms/room-registry.js';
import type { DocStore } from '../storage/doc-store.js';
import type { DocumentDirectory } from '../storage/document-directory.js';
import { docFromStored } from '../storage/snapshot.js';
import type { VersionAuthor } from '../storage/version-store.js';
import type { VersionService } from '../versions/version-service.js';
import { bearerMatches } from './document-access.js';

/** Who admin changes are attributed to in the version history. */
const ADMIN_AUTHOR: VersionAuthor = { userId: null, name: 'admin' };

/** What the admin API needs. */
export interface AdminDeps {
  /** Bearer token for /admin; null disables the admin API. */
  readonly adminToken: string | null;
  readonly store: Pick<DocStore, 'list' | 'load'>;
  /** Closes the document's room and deletes it from the store and the directory. */
  readonly deleteDocument: DeleteDocument;
  readonly directory: Pick<DocumentDirectory, 'list'>;
  readonly registry: Pick<RoomRegistry, 'get' | 'describe' | 'importUpdate'>;
  readonly recorder: Pick<Recorder, 'start' | 'stop' | 'list' | 'pathOf'>;
  /** Size bound of a recording when the request names none. */
  readonly recordingMaxBytes: number;
  /** Takes the implicit version before an import (VER-5). */
  readonly versionService: Pick<VersionService, 'implicit'>;
}

/**
 * `/admin/*` behind `Authorization: Bearer <ADMIN_TOKEN>`: list documents and live rooms,
 * export (json | text | yjs), import a Yjs update, delete. 401 without a token, 403 with a
 * wrong one, 404 for everything while ADMIN_TOKEN is unset.
 */
export async function adminRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const token = deps.adminToken;
  if (token === null) return;
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    if (header === undefined)
      return reply.code(401).send({ error: 'unauthenticated', message: 'admin token required' });
    if (!bearerMatches(header, token)) {
      return reply.code(403).send({ error: 'forbidden', message: 'wrong admin token' });
    }
  });

  const docId = (request: FastifyRequest, reply: FastifyReply): string | null => {
    const parsed = parseRoomName(encodeURIComponent((request.params as { id: string }).id));
    if (parsed.ok) return parsed.roomId;
    void reply.code(400).send({ error: 'bad_request', message: parsed.error });
    return null;
  };
  const currentDoc = async (id: string): Promise<Y.Doc> => {
    const live = deps.registry.get(id);
    if (live !== undefined) {
      const copy = new Y.Doc({ guid: id });
      Y.applyUpdate(copy, Y.encodeStateAsUpdate(live.doc));
      return copy;
    }
    return docFromStored(await deps.store.load(id), id);
  };

  app.get('/admin/documents', async () => {
    const [stored, named] = await Promise.all([deps.store.list(), deps.directory.list()]);
    const titles = new Map(named.map((d) => [d.id, d.title]));
    return {
      documents: stored.map((id) => ({
        id,
        title: titles.get(id) ?? null,
        loaded: deps.registry.get(id) !== undefined,
      })),
    };
  });

  app.get('/admin/rooms', async () => ({ rooms: deps.registry.describe() }));

  app.get('/admin/documents/:id/export', async (request, reply) => {
    const id = docId(request, reply);
    if (id === null) return reply;
    const format = (request.query as { format?: string }).format ?? 'json';
    const doc = await currentDoc(id);
    try {
      if (format === 'yjs') return reply.type('application/octet-stream').send(Buffer.from(Y.encodeStateAsUpdate(doc)));
      if (format === 'text') return reply.type('text/plain; charset=utf-8').send(docToText(doc));
      if (format === 'json') return { id, content: docToJson(doc) };
      return reply.code(400).send({ error: 'bad_request', message: 'format must be json, text or yjs' });
    } finally {
      doc.destroy();
    }
  });

  app.post('/admin/documents/:id/import', async (request, reply) => {
    const id = docId(request, reply);
    if (id === null) return reply;
    const body = request.body;
    if (!(body instanceof Buffer) || body.byteLength === 0) {
      return reply.code(400).send({ error: 'bad_request', message: 'send a Yjs update as application/octet-stream' });
    }
    // Through the room whether or not it is loaded: inspected, stored, relayed, published,
    // counted and notified like a session's update (OPS-6); 204 only once it is durable.
    let verdict: ImportVerdict;
    try {
      // An implicit version first, so the import can be undone (VER-5).
      await deps.versionService.implicit(id, 'import', 'Before import', ADMIN_AUTHOR);
      verdict = await deps.registry.importUpdate(id, new Uint8Array(body), ADMIN_AUTHOR);
    } catch (err) {
      if (!(err instanceof JoinError)) throw err;
      return reply.code(503).send({ error: 'unavailable', message: `cannot import into ${id}: ${err.message}` });
    }
    if (!verdict.ok) return reply.code(400).send({ error: 'bad_request', message: verdict.reason });
    return reply.code(204).send();
  });

  app.post('/admin/rooms/:id/recording', async (request, reply) => {
    const id = docId(request, reply);
    if (id === null) return reply;
    const requested = (request.body as { maxBytes?: unknown } | undefined)?.maxBytes;
    const maxBytes = typeof requested === 'number' && requested > 0 ? requested : deps.recordingMaxBytes;
    return reply.code(201).send({ room: id, recording: deps.recorder.start(id, maxBytes), maxBytes });
  });

  app.delete('/admin/rooms/:id/recording', async (request, reply) => {
    const id = docId(request, reply);
    if (id === null) return reply;
    const name = await deps.recorder.stop(id);
    if (name === null) return reply.code(404).send({ error: 'not_found', message: `room ${id} is not being recorded` });
    return { room: id, recording: name };
  });

  app.get('/admin/recordings', async () => ({ recordings: deps.recorder.list() }));

  app.get('/admin/recordings/:name', async (request, reply) => {
    const path = deps.recorder.pathOf((request.params as { name: string }).name);
    if (path === null) return reply.code(404).send({ error: 'not_found', message: 'no such recording' });
    return reply.type('application/x-ndjson').send(createReadStream(path));
  });

  app.delete('/admin/documents/:id', async (request, reply) => {
    const id = docId(request, reply);
    if (id === null) return reply;
    await deps.deleteDocument(id);
    return reply.code(204).send();
  });
}
