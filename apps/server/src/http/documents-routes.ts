import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseRoomName } from '../connection/room-name.js';
import type { DeleteDocument } from '../document-deletion.js';
import type { DocStore } from '../storage/doc-store.js';
import type { DocumentDirectory, DocumentInfo } from '../storage/document-directory.js';
import type { DocumentAccess } from './document-access.js';
import { createBody, DOCUMENT_ROUTE_SCHEMAS as DOCS, renameBody } from './documents-schemas.js';
import { describedBy } from './openapi.js';

/** What the documents API needs. */
export interface DocumentsRouteDeps {
  readonly directory: Pick<DocumentDirectory, 'get' | 'list' | 'create' | 'rename'>;
  readonly store: Pick<DocStore, 'list'>;
  /** Closes the document's room and deletes it from the store and the directory. */
  readonly deleteDocument: DeleteDocument;
  /** Admits requests for one document's content and history (AUTH-8); the routes that add them use it. */
  readonly access: DocumentAccess;
}

/** A fresh, URL-safe document id (72 random bits). */
function newDocumentId(): string {
  return randomBytes(9).toString('base64url');
}

/** Entries of documents that exist in the store but were never named through the API. */
function unnamed(id: string): DocumentInfo {
  return { id, title: id, createdAt: '', updatedAt: '' };
}

/** REST API behind the document list: list, create, get, rename, delete. */
export async function documentsRoutes(app: FastifyInstance, deps: DocumentsRouteDeps): Promise<void> {
  const badRequest = (reply: FastifyReply, message: string) => reply.code(400).send({ error: 'bad_request', message });
  const notFound = (reply: FastifyReply, id: string) =>
    reply.code(404).send({ error: 'not_found', message: `no document ${JSON.stringify(id)}` });
  const idFrom = (params: unknown) => parseRoomName(encodeURIComponent((params as { id: string }).id));

  const find = async (id: string): Promise<DocumentInfo | null> => {
    const named = await deps.directory.get(id);
    if (named !== null) return named;
    return (await deps.store.list()).includes(id) ? unnamed(id) : null;
  };

  app.get('/api/documents', describedBy(DOCS.list), async () => {
    const [named, stored] = await Promise.all([deps.directory.list(), deps.store.list()]);
    const known = new Set(named.map((d) => d.id));
    return { documents: [...named, ...stored.filter((id) => !known.has(id)).map(unnamed)] };
  });

  app.post('/api/documents', describedBy(DOCS.create), async (request, reply) => {
    const body = createBody.safeParse(request.body ?? {});
    if (!body.success) return badRequest(reply, body.error.issues.map((i) => i.message).join('; '));
    const info = await deps.directory.create(newDocumentId(), body.data.title ?? 'Untitled');
    return reply.code(201).send({ id: info.id, title: info.title });
  });

  app.get('/api/documents/:id', describedBy(DOCS.get), async (request, reply) => {
    const id = idFrom(request.params);
    if (!id.ok) return badRequest(reply, id.error);
    const info = await find(id.roomId);
    return info === null ? notFound(reply, id.roomId) : info;
  });

  app.patch('/api/documents/:id', describedBy(DOCS.rename), async (request, reply) => {
    const id = idFrom(request.params);
    if (!id.ok) return badRequest(reply, id.error);
    const body = renameBody.safeParse(request.body ?? {});
    if (!body.success) return badRequest(reply, body.error.issues.map((i) => i.message).join('; '));
    const renamed = await deps.directory.rename(id.roomId, body.data.title);
    if (renamed !== null) return { id: renamed.id, title: renamed.title };
    if ((await find(id.roomId)) === null) return notFound(reply, id.roomId);
    const created = await deps.directory.create(id.roomId, body.data.title);
    return { id: created.id, title: created.title };
  });

  app.delete('/api/documents/:id', describedBy(DOCS.delete), async (request, reply) => {
    const id = idFrom(request.params);
    if (!id.ok) return badRequest(reply, id.error);
    if ((await find(id.roomId)) === null) return notFound(reply, id.roomId);
    await deps.deleteDocument(id.roomId);
    return reply.code(204).send();
  });
}
