import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { parseRoomName } from '../connection/room-name.js';
import { JoinError, type RoomRegistry } from '../rooms/room-registry.js';
import { isVersionId, type VersionRecord, type VersionStore } from '../storage/version-store.js';
import { compareTexts, docOf, type VersionRendering } from '../versions/version-content.js';
import { RestoreRefusedError, type VersionService } from '../versions/version-service.js';
import { authorOfCaller, type DocumentAccess } from './document-access.js';
import { describedBy } from './openapi.js';
import { compareQuery, contentQuery, createBody, listQuery, VERSION_ROUTE_SCHEMAS as VER } from './versions-schemas.js';

/** What the versions API needs. */
export interface VersionsRouteDeps {
  readonly versions: VersionStore;
  readonly service: VersionService;
  /** The live document, when loaded here (compare with `current`). */
  readonly registry: Pick<RoomRegistry, 'withRoom'>;
  /** Whether a document exists (named in the directory, loaded, or stored); unknown ones answer 404. */
  readonly exists: (docId: string) => Promise<boolean>;
  readonly access: DocumentAccess;
  /** Renders a version's document (ProseMirror JSON, HTML, plain text). */
  readonly render: VersionRendering;
}

/** The version as the API shows it (`VersionInfo`). */
export function versionInfo(record: VersionRecord) {
  return {
    id: record.id,
    kind: record.kind,
    label: record.label,
    reason: record.reason,
    createdAt: new Date(record.createdAt).toISOString(),
    bytes: record.bytes,
    authors: record.authors,
    createdBy: record.createdBy,
  };
}

const issues = (error: z.ZodError) =>
  error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');

/**
 * `/api/documents/:id/versions` (VER-10): list, create named, get, content, compare, restore,
 * delete — admitted like the sync endpoint (AUTH-8): readers list, read and compare; writers also
 * name, restore and delete.
 */
export async function versionsRoutes(app: FastifyInstance, deps: VersionsRouteDeps): Promise<void> {
  const badRequest = (reply: FastifyReply, message: string) => reply.code(400).send({ error: 'bad_request', message });
  const notFound = (reply: FastifyReply, message: string) => reply.code(404).send({ error: 'not_found', message });
  const unavailable = (reply: FastifyReply, id: string, err: JoinError) =>
    reply
      .code(503)
      .send({ error: 'unavailable', message: `document ${JSON.stringify(id)} is unavailable: ${err.message}` });

  /** The document id and version id of a request, admitted for `need`; null once answered. */
  const admit = async (request: FastifyRequest, reply: FastifyReply, need: 'read' | 'write', withVersion: boolean) => {
    const params = request.params as { id: string; vid?: string };
    const id = parseRoomName(encodeURIComponent(params.id));
    if (!id.ok) {
      badRequest(reply, id.error);
      return null;
    }
    const caller = await deps.access.admit(request, reply, id.roomId, need);
    if (caller === null) return null;
    if (!withVersion) {
      if (await deps.exists(id.roomId)) return { docId: id.roomId, caller, version: null };
      notFound(reply, `no document ${JSON.stringify(id.roomId)}`);
      return null;
    }
    const vid = params.vid ?? '';
    if (!isVersionId(vid)) {
      badRequest(reply, `version id ${JSON.stringify(vid)} is not a version id`);
      return null;
    }
    const version = await deps.versions.getVersion(id.roomId, vid);
    if (version === null) {
      notFound(reply, `document ${JSON.stringify(id.roomId)} has no version ${vid}`);
      return null;
    }
    return { docId: id.roomId, caller, version };
  };

  const stateOf = async (docId: string, version: VersionRecord): Promise<Uint8Array> => {
    const state = await deps.versions.readVersionState(docId, version.id);
    if (state === null) throw new Error(`version ${version.id} of ${docId} vanished`);
    return state;
  };

  app.get('/api/documents/:id/versions', describedBy(VER.list), async (request, reply) => {
    const query = listQuery.safeParse(request.query ?? {});
    if (!query.success) return badRequest(reply, issues(query.error));
    const admitted = await admit(request, reply, 'read', false);
    if (admitted === null) return reply;
    const page = await deps.versions.listVersions(admitted.docId, {
      limit: query.data.limit,
      ...(query.data.before === undefined ? {} : { before: query.data.before }),
    });
    return { versions: page.versions.map(versionInfo), next: page.next };
  });

  app.post('/api/documents/:id/versions', describedBy(VER.create), async (request, reply) => {
    const body = createBody.safeParse(request.body ?? {});
    if (!body.success) return badRequest(reply, issues(body.error));
    const admitted = await admit(request, reply, 'write', false);
    if (admitted === null) return reply;
    try {
      const version = await deps.service.named(admitted.docId, body.data.label, authorOfCaller(admitted.caller));
      return reply.code(201).send(versionInfo(version));
    } catch (err) {
      if (err instanceof JoinError) return unavailable(reply, admitted.docId, err);
      throw err;
    }
  });

  app.get('/api/documents/:id/versions/:vid', describedBy(VER.get), async (request, reply) => {
    const admitted = await admit(request, reply, 'read', true);
    if (admitted === null) return reply;
    return versionInfo(admitted.version as VersionRecord);
  });

  app.get('/api/documents/:id/versions/:vid/content', describedBy(VER.content), async (request, reply) => {
    const query = contentQuery.safeParse(request.query ?? {});
    if (!query.success) return badRequest(reply, issues(query.error));
    const admitted = await admit(request, reply, 'read', true);
    if (admitted === null) return reply;
    const state = await stateOf(admitted.docId, admitted.version as VersionRecord);
    const format = query.data.format;
    if (format === 'yjs') return reply.type('application/octet-stream').send(Buffer.from(state));
    const doc = docOf(state);
    try {
      if (format === 'text') return reply.type('text/plain; charset=utf-8').send(await deps.render.toText(doc));
      if (format === 'html') return reply.type('text/html; charset=utf-8').send(await deps.render.toHTML(doc));
      return reply.type('application/json').send(await deps.render.toProseMirror(doc));
    } catch (err) {
      // Content the editor's schema cannot hold (another binding's nodes): the raw formats still serve it.
      if (err instanceof Error && err.name === 'TransformError') {
        return reply.code(422).send({
          error: 'unprocessable',
          message: `version ${admitted.version?.id} cannot be rendered as ${format}: ${err.message} (format=yjs serves it raw)`,
        });
      }
      throw err;
    } finally {
      doc.destroy();
    }
  });

  app.get('/api/documents/:id/versions/:vid/compare', describedBy(VER.compare), async (request, reply) => {
    const query = compareQuery.safeParse(request.query ?? {});
    if (!query.success) return badRequest(reply, issues(query.error));
    const admitted = await admit(request, reply, 'read', true);
    if (admitted === null) return reply;
    const { docId } = admitted;
    const from = admitted.version as VersionRecord;
    const textOf = async (version: VersionRecord) => {
      const doc = docOf(await stateOf(docId, version));
      try {
        return await deps.render.toText(doc);
      } finally {
        doc.destroy();
      }
    };
    let to: VersionRecord | 'current';
    let toText: string;
    if (query.data.to === 'current') {
      to = 'current';
      try {
        toText = await deps.registry.withRoom(docId, (room) => deps.render.toText(room.doc));
      } catch (err) {
        if (err instanceof JoinError) return unavailable(reply, docId, err);
        throw err;
      }
    } else {
      const other = isVersionId(query.data.to) ? await deps.versions.getVersion(docId, query.data.to) : null;
      if (other === null)
        return notFound(
          reply,
          `document ${JSON.stringify(docId)} has no version ${JSON.stringify(query.data.to)} (to)`,
        );
      to = other;
      toText = await textOf(other);
    }
    const changes = compareTexts(await textOf(from), toText);
    return { from: versionInfo(from), to: to === 'current' ? 'current' : versionInfo(to), changes };
  });

  app.post('/api/documents/:id/versions/:vid/restore', describedBy(VER.restore), async (request, reply) => {
    const admitted = await admit(request, reply, 'write', true);
    if (admitted === null) return reply;
    const version = admitted.version as VersionRecord;
    try {
      const done = await deps.service.restore(admitted.docId, version.id, authorOfCaller(admitted.caller));
      if (done === null)
        return notFound(reply, `document ${JSON.stringify(admitted.docId)} has no version ${version.id}`);
      return { restored: versionInfo(done.restored), backup: versionInfo(done.backup) };
    } catch (err) {
      if (err instanceof JoinError) return unavailable(reply, admitted.docId, err);
      if (err instanceof RestoreRefusedError) {
        return reply.code(422).send({
          error: 'unprocessable',
          message: `the restore's change was refused by the update guard: ${err.message}`,
        });
      }
      throw err;
    }
  });

  app.delete('/api/documents/:id/versions/:vid', describedBy(VER.remove), async (request, reply) => {
    const admitted = await admit(request, reply, 'write', true);
    if (admitted === null) return reply;
    const version = admitted.version as VersionRecord;
    if (version.kind !== 'named') {
      return reply.code(409).send({
        error: 'conflict',
        message: `version ${version.id} is ${version.kind === 'auto' ? 'an automatic' : 'an implicit'} version; only named versions can be deleted`,
      });
    }
    await deps.versions.deleteVersions(admitted.docId, [version.id]);
    return reply.code(204).send();
  });
}
