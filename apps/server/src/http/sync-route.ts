import { CloseCode, negotiateSubprotocol, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { openDocumentConnection } from '../connection/document-adapter.js';
import type { RoomDirectory } from '../connection/document-channel.js';
import { openHocuspocusConnection, type RoomMembers } from '../connection/hocuspocus-adapter.js';
import { openMultiplexConnection } from '../connection/multiplex-adapter.js';
import type { PipelineDeps, PipelineLimits } from '../connection/pipeline-deps.js';
import { parseRoomName } from '../connection/room-name.js';
import type { DocumentId } from '../identity.js';
import type { ConnectionCounter } from './client-address.js';
import type { OpenSockets } from './open-sockets.js';
import { releaseUpgrade, socketErrorLogger } from './release-upgrade.js';
import { type Admission, admissionOf, type UpgradeLimits, upgradeGuard } from './upgrade-guard.js';

/** Path prefix of the sync endpoint; y-websocket clients use `ws://HOST:PORT/sync` as serverUrl. */
export const SYNC_PREFIX = '/sync/';

/** The Hocuspocus-compatible endpoint: a Hocuspocus provider's `url` (HP-1). */
export const HOCUSPOCUS_PATH = '/hocuspocus';

/** What the sync route needs: the pipeline's dependencies, and what the upgrade guard reads. */
export interface SyncRouteDeps extends Omit<PipelineDeps, 'limits' | 'registry'> {
  readonly limits: PipelineLimits & UpgradeLimits & { readonly hocuspocusKeepaliveMs: number };
  /** The rooms: joined through, and (for Hocuspocus stateless messages) their members read. */
  readonly registry: RoomDirectory & RoomMembers;
  /** Open sockets per client address (LIMIT-2); the pipeline counts each. */
  readonly connections: ConnectionCounter;
  /** The server's TCP connections, each handed over to the WebSocket server once it is a client. */
  readonly sockets: Pick<OpenSockets, 'handOver'>;
}

/** `GET /sync/<room>` (one document), `GET /sync` (multiplexed, tandem.v1) and `GET /hocuspocus`. */
export async function syncRoute(app: FastifyInstance, deps: SyncRouteDeps): Promise<void> {
  const roomOf = (request: FastifyRequest) => {
    const parsed = parseRoomName(request.url.slice(SYNC_PREFIX.length));
    return parsed.ok ? parsed.roomId : null;
  };
  const guard = upgradeGuard(deps, roomOf);
  const accept = acceptor(deps);

  // One tandem.v1 connection for many documents (MUX-1).
  app.get('/sync', { websocket: true, preValidation: upgradeGuard(deps, () => null) }, (socket, request) => {
    const negotiated = negotiateSubprotocol(splitProtocols(request.headers['sec-websocket-protocol']));
    if (negotiated.kind !== 'tandem') {
      return socket.close(
        CloseCode.unsupportedProtocolVersion,
        `the multiplexed endpoint /sync speaks ${TANDEM_SUBPROTOCOL} only; plain y-websocket clients connect to /sync/<room>`,
      );
    }
    const admission = accept(socket, request);
    if (admission === null) return;
    openMultiplexConnection(
      socket,
      { identity: admission.identity, stream: request.raw.socket ?? null, address: admission.address },
      deps,
    );
  });

  // The Hocuspocus provider's wire format, many documents per socket (HP-1).
  app.get(
    HOCUSPOCUS_PATH,
    { websocket: true, preValidation: upgradeGuard(deps, () => null, { inBandAuth: true }) },
    (socket, request) => {
      const admission = accept(socket, request);
      if (admission === null) return;
      openHocuspocusConnection(
        socket,
        { identity: admission.identity, stream: request.raw.socket ?? null, address: admission.address },
        {
          ...deps,
          rooms: deps.registry,
          keepaliveMs: deps.limits.hocuspocusKeepaliveMs,
        },
      );
    },
  );

  app.get(
    `${SYNC_PREFIX}*`,
    {
      websocket: true,
      preValidation: async (request, reply) => {
        const parsed = parseRoomName(request.url.slice(SYNC_PREFIX.length));
        if (!parsed.ok) return reply.code(400).send({ error: 'bad_room_name', message: parsed.error });
        return guard(request, reply);
      },
    },
    (socket, request) => {
      // preValidation refused every path that does not parse.
      const roomId = roomOf(request) as DocumentId;
      const negotiated = negotiateSubprotocol(splitProtocols(request.headers['sec-websocket-protocol']));
      if (negotiated.kind === 'unsupported') {
        request.log.info({ offered: request.headers['sec-websocket-protocol'] }, 'unsupported protocol version');
        return socket.close(
          CloseCode.unsupportedProtocolVersion,
          `unsupported protocol version ${negotiated.selected}; this server speaks ${TANDEM_SUBPROTOCOL}`,
        );
      }
      const admission = accept(socket, request);
      if (admission === null) return;
      openDocumentConnection(
        socket,
        {
          roomId,
          protocol: negotiated.kind === 'tandem' ? TANDEM_SUBPROTOCOL : 'plain',
          address: admission.address,
          access: admission.access,
          stream: request.raw.socket ?? null,
        },
        deps,
      );
    },
  );
}

/**
 * Takes over an upgraded socket the guard admitted: frees what the upgrade no longer needs and
 * hands its TCP connection over to the WebSocket server's tracking; the pipeline then counts it
 * against its address until it closes (LIMIT-2). Null when the guard refused it in-band
 * (ORIGIN-2): the socket is closed already.
 */
function acceptor(deps: SyncRouteDeps): (socket: WebSocket, request: FastifyRequest) => Admission | null {
  const onSocketError = socketErrorLogger(deps.logger);
  return (socket, request) => {
    const admission = admissionOf(socket, request);
    if (admission === null) return null;
    releaseUpgrade(socket, request, onSocketError);
    const tcp = request.raw.socket;
    if (tcp != null) deps.sockets.handOver(tcp);
    return admission;
  };
}

function splitProtocols(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
