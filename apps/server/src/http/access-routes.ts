import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AccessEnforcer } from '../access-enforcer.js';
import type { AccessChange } from '../auth/access-changes.js';
import { parseDocsClaim } from '../auth/permissions.js';
import { parseRoomName } from '../connection/room-name.js';
import { requireAdminToken } from './admin-routes.js';

/** What the access-change API needs. */
export interface AccessRoutesDeps {
  /** Bearer token of the admin API; null disables these routes with it. */
  readonly adminToken: string | null;
  readonly enforcer: Pick<AccessEnforcer, 'change'>;
  /** How long a change binds when the request names no `until` (ACCESS_CHANGE_TTL_MS). */
  readonly ttlMs: number;
  readonly now?: () => number;
}

/** Latest `until` a request may ask for, past now. */
const MAX_TTL_MS = 400 * 86_400_000;

const until = z.number().int().positive().optional();
const revokeBody = z.strictObject({
  subject: z.string().min(1).max(1024).optional(),
  document: z.string().min(1).optional(),
  until,
});
const permissionsBody = z.strictObject({ subject: z.string().min(1).max(1024), docs: z.unknown(), until });

/** The problem with a zod parse, named for the client. */
const problem = (error: z.ZodError) =>
  error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`).join('; ');

/**
 * `POST /admin/access/revoke` and `POST /admin/access/permissions` behind the admin token
 * (REVOKE-1, REVOKE-4): the change binds tokens issued before it on every node, open sessions included.
 */
export async function accessRoutes(app: FastifyInstance, deps: AccessRoutesDeps): Promise<void> {
  const token = deps.adminToken;
  if (token === null) return;
  const now = deps.now ?? Date.now;
  app.addHook('onRequest', requireAdminToken(token));

  const bad = (reply: FastifyReply, message: string) => reply.code(400).send({ error: 'bad_request', message });
  /** The change's bound: the request's `until`, else the configured TTL. */
  const boundOf = (at: number, requested: number | undefined): number | string => {
    if (requested === undefined) return at + deps.ttlMs;
    if (requested <= at) return 'until must be in the future (ms since the epoch)';
    if (requested > at + MAX_TTL_MS) return 'until must be at most 400 days ahead';
    return requested;
  };
  const apply = async (reply: FastifyReply, change: AccessChange) => {
    const report = await deps.enforcer.change(change);
    return reply.send({ change, closedHere: report.closed, changedHere: report.changed });
  };

  app.post('/admin/access/revoke', async (request, reply) => {
    const parsed = revokeBody.safeParse(request.body ?? {});
    if (!parsed.success) return bad(reply, problem(parsed.error));
    const { subject, document } = parsed.data;
    if (subject === undefined && document === undefined) return bad(reply, 'name a subject, a document, or both');
    if (document !== undefined) {
      const name = parseRoomName(encodeURIComponent(document));
      if (!name.ok) return bad(reply, `document: ${name.error}`);
    }
    const at = now();
    const bound = boundOf(at, parsed.data.until);
    if (typeof bound === 'string') return bad(reply, bound);
    return apply(reply, { kind: 'revoke', subject: subject ?? null, document: document ?? null, at, until: bound });
  });

  app.post('/admin/access/permissions', async (request, reply) => {
    const parsed = permissionsBody.safeParse(request.body ?? {});
    if (!parsed.success) return bad(reply, problem(parsed.error));
    const rules = parsed.data.docs === undefined ? null : parseDocsClaim(parsed.data.docs);
    if (rules === null) {
      return bad(reply, 'docs must be an object of document patterns to "write", "read" or "none"');
    }
    const at = now();
    const bound = boundOf(at, parsed.data.until);
    if (typeof bound === 'string') return bad(reply, bound);
    return apply(reply, { kind: 'permissions', subject: parsed.data.subject, rules, at, until: bound });
  });
}
