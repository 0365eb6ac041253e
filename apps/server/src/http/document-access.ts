import { timingSafeEqual } from 'node:crypto';
import { CloseCode } from '@tandem/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { accessFor } from '../auth/access.js';
import { tokenFromRequest } from '../auth/token-source.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Identity } from '../identity.js';
import type { VersionAuthor } from '../storage/version-store.js';

/** What an HTTP request for one document needs: reading it, or changing it. */
export type DocumentNeed = 'read' | 'write';

/** Who an admitted HTTP request speaks for, on one document. */
export interface DocumentCaller {
  /** The verified token's identity; null in open mode and for the admin token. */
  readonly identity: Identity | null;
  /** True when the request carried the admin token. */
  readonly admin: boolean;
  readonly canWrite: boolean;
}

/** Admits HTTP requests to a document by the same rules as the sync endpoint (AUTH-1…3, HTTP-1). */
export interface DocumentAccess {
  /**
   * The caller's access to `docId` when it covers `need`; otherwise answers the request —
   * 401 without a valid token, 403 when the token does not allow it — and resolves null.
   */
  admit(
    request: FastifyRequest,
    reply: FastifyReply,
    docId: string,
    need: DocumentNeed,
  ): Promise<DocumentCaller | null>;
}

/** Who an admitted caller is in the version history: the token's subject, the admin, or anonymous (open mode). */
export function authorOfCaller(caller: DocumentCaller): VersionAuthor {
  if (caller.identity !== null) return { userId: caller.identity.userId, name: caller.identity.name };
  return caller.admin ? { userId: null, name: 'admin' } : { userId: null, name: 'anonymous' };
}

/** Whether an `Authorization` header carries `token` as a bearer token (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const given = Buffer.from(header.replace(/^Bearer\s+/i, ''));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Document access for HTTP: a Tandem JWT (bearer header, `token` query parameter or the
 * `tandem_token` cookie, as on `/sync`) checked against the document's permission rules, or
 * the admin token (full access). In open mode (no verifier) everyone may read and write.
 */
export function createDocumentAccess(deps: {
  readonly verifier: TokenVerifier | null;
  readonly adminToken: string | null;
}): DocumentAccess {
  return {
    async admit(request, reply, docId, need) {
      if (deps.adminToken !== null && bearerMatches(request.headers.authorization, deps.adminToken)) {
        return { identity: null, admin: true, canWrite: true };
      }
      const access = await accessFor(deps.verifier, tokenFromRequest(request), docId);
      if (!access.ok) {
        const status = access.code === CloseCode.forbidden ? 403 : 401;
        void reply
          .code(status)
          .send({ error: status === 403 ? 'forbidden' : 'unauthenticated', message: access.reason });
        return null;
      }
      if (need === 'write' && !access.canWrite) {
        void reply.code(403).send({
          error: 'forbidden',
          message: `read-only access to document ${JSON.stringify(docId)}: this needs write access`,
        });
        return null;
      }
      return { identity: access.identity, admin: false, canWrite: access.canWrite };
    },
  };
}
