import { CloseCode, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { type Access, accessOf, OPEN_ACCESS } from '../auth/access.js';
import { isOriginAllowed } from '../auth/origin.js';
import { tokenFromRequest } from '../auth/token-source.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Identity } from '../identity.js';
import { type ConnectionCounter, clientAddress } from './client-address.js';

/** The settings the guard reads. */
export interface UpgradeLimits {
  /** Origins allowed besides the server's own (ORIGIN-1); null: loopback hosts only. */
  readonly allowedOrigins: readonly string[] | null;
  /** Proxies whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly string[];
  /** Open sockets one client address may hold (LIMIT-2). */
  readonly maxConnectionsPerIp: number;
}

/** What the guard needs. */
export interface UpgradeGuardDeps {
  readonly limits: UpgradeLimits;
  readonly verifier: TokenVerifier | null;
  readonly connections: ConnectionCounter;
}

/** What an admitted upgrade carries into the session. */
export interface Admission {
  readonly address: string;
  /** The verified identity of a token in the request; null in open mode or when the client authenticates in-band. */
  readonly identity: Identity | null;
  /** For `/sync/<room>`: the access resolved for the room (null: authenticate in-band first). */
  readonly access: Access | null;
}

/** A refusal told in-band: the socket is upgraded only to be closed with it. */
interface Refusal {
  readonly code: number;
  readonly reason: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    tandemAdmission?: Admission;
    tandemRefusal?: Refusal;
  }
}

/**
 * Runs before the upgrade (ORIGIN-1, ORIGIN-2, LIMIT-2, AUTH-1): a foreign Origin gets 403 (a
 * tandem.v1 client is upgraded and closed with 4403 instead: see {@link admissionOf}), an address
 * over its connection limit 429, a bad token 401, a token without access to the room 403 —
 * all before any room is touched. A tandem.v1 client without a token may still upgrade and
 * authenticate with an auth-token frame; a plain client cannot, so it gets 401. `inBandAuth`: every
 * client of the endpoint authenticates in its messages (Hocuspocus, HP-2), so none needs a token here.
 */
export function upgradeGuard(
  deps: UpgradeGuardDeps,
  roomOf: (request: FastifyRequest) => string | null,
  options: { readonly inBandAuth?: boolean } = {},
) {
  const { limits } = deps;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const offersTandem = (request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .some((p) => p.trim() === TANDEM_SUBPROTOCOL);
    if (!isOriginAllowed(request.headers.origin, request.headers.host, limits.allowedOrigins)) {
      const reason = `origin ${request.headers.origin} is not allowed (ALLOWED_ORIGINS)`;
      // A browser sees a refused upgrade only as a failed connection; a tandem.v1 client can be
      // told why in the close frame (ORIGIN-2).
      if (offersTandem) {
        request.tandemRefusal = { code: CloseCode.forbidden, reason };
        return;
      }
      return reply.code(403).send({ error: 'forbidden_origin', message: reason });
    }
    const address = clientAddress(
      request.socket.remoteAddress,
      request.headers['x-forwarded-for'],
      limits.trustedProxies,
    );
    if (deps.connections.count(address) >= limits.maxConnectionsPerIp) {
      return reply.code(429).send({
        error: 'too_many_connections',
        message: `more than ${limits.maxConnectionsPerIp} connections from ${address}`,
      });
    }
    if (deps.verifier === null) {
      request.tandemAdmission = { address, identity: null, access: OPEN_ACCESS };
      return;
    }
    const token = tokenFromRequest({ url: request.url, headers: request.headers });
    if (token === null) {
      if (!offersTandem && options.inBandAuth !== true) {
        return reply.code(401).send({
          error: 'unauthenticated',
          message: 'authentication required: send a token (Authorization: Bearer, ?token=, or the tandem_token cookie)',
        });
      }
      request.tandemAdmission = { address, identity: null, access: null };
      return;
    }
    const verified = await deps.verifier.verify(token);
    if (!verified.ok) return reply.code(401).send({ error: 'unauthenticated', message: verified.reason });
    const room = roomOf(request);
    if (room === null) {
      request.tandemAdmission = { address, identity: verified.identity, access: null };
      return;
    }
    const access = accessOf(verified.identity, room);
    if (!access.ok) return reply.code(403).send({ error: 'forbidden', message: access.reason });
    request.tandemAdmission = { address, identity: verified.identity, access };
  };
}

/**
 * The admission of an upgraded socket, or null when the guard refused it in-band: the socket is
 * then closed at once, before anything is read from it or any room is touched.
 */
export function admissionOf(socket: WebSocket, request: FastifyRequest): Admission | null {
  const refusal = request.tandemRefusal;
  if (refusal === undefined) return request.tandemAdmission as Admission;
  socket.close(refusal.code, refusal.reason);
  return null;
}
