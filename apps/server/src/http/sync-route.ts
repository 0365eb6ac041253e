import { randomUUID } from 'node:crypto';
import { CloseCode, decodeFrame, negotiateSubprotocol, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Config } from '../config.js';
import type { Room } from '../rooms/room.js';
import { JoinError, type RoomRegistry } from '../rooms/room-registry.js';
import { Session } from '../rooms/session.js';
import { attachMuxConnection } from './mux-connection.js';
import { parseRoomName } from './room-name.js';

/** Path prefix of the sync endpoint; y-websocket clients use `ws://HOST:PORT/sync` as serverUrl. */
export const SYNC_PREFIX = '/sync/';

/** What the sync route needs. */
export interface SyncRouteDeps {
  readonly config: Config;
  readonly registry: RoomRegistry;
  /** Every live session (joined or still waiting for its room), for the heartbeat. */
  readonly sessions: Set<Session>;
  readonly logger: Logger;
}

/** `GET /sync/<room>`: upgrades to a y-websocket session (plus tandem.v1 when negotiated). */
export async function syncRoute(app: FastifyInstance, deps: SyncRouteDeps): Promise<void> {
  // `GET /sync`: one tandem.v1 connection for many documents (MUX-1).
  app.get('/sync', { websocket: true }, (socket, request) => {
    const negotiated = negotiateSubprotocol(splitProtocols(request.headers['sec-websocket-protocol']));
    if (negotiated.kind !== 'tandem') {
      return socket.close(
        CloseCode.unsupportedProtocolVersion,
        `the multiplexed endpoint /sync speaks ${TANDEM_SUBPROTOCOL} only; plain y-websocket clients connect to /sync/<room>`,
      );
    }
    attachMuxConnection(socket, deps);
  });
  app.get(
    `${SYNC_PREFIX}*`,
    {
      websocket: true,
      preValidation: async (request, reply) => {
        const parsed = parseRoomName(request.url.slice(SYNC_PREFIX.length));
        if (!parsed.ok) return reply.code(400).send({ error: 'bad_room_name', message: parsed.error });
      },
    },
    (socket, request) => {
      const parsed = parseRoomName(request.url.slice(SYNC_PREFIX.length));
      if (!parsed.ok) return socket.close(CloseCode.policyViolation, parsed.error);
      const negotiated = negotiateSubprotocol(splitProtocols(request.headers['sec-websocket-protocol']));
      if (negotiated.kind === 'unsupported') {
        request.log.info({ offered: request.headers['sec-websocket-protocol'] }, 'unsupported protocol version');
        return socket.close(
          CloseCode.unsupportedProtocolVersion,
          `unsupported protocol version ${negotiated.selected}; this server speaks ${TANDEM_SUBPROTOCOL}`,
        );
      }
      const id = randomUUID();
      const session = new Session({
        id,
        roomId: parsed.roomId,
        protocol: negotiated.kind === 'tandem' ? TANDEM_SUBPROTOCOL : 'plain',
        socket,
        logger: deps.logger.child({ room: parsed.roomId, session: id }),
        maxBufferedBytes: deps.config.maxBufferedBytes,
        slowCloseGraceMs: deps.config.slowCloseGraceMs,
      });
      attach(socket, session, deps);
    },
  );
}

function attach(socket: WebSocket, session: Session, deps: SyncRouteDeps): void {
  deps.sessions.add(session);
  session.log.info({ protocol: session.protocol }, 'session opened');
  let room: Room | undefined;
  // Frames wait in the kernel, not in memory, until the room is loaded.
  socket.pause();

  socket.on('message', (data, isBinary) => {
    if (room === undefined || !session.isOpen) return;
    if (!isBinary) {
      session.close(CloseCode.undecodable, 'text frames are not part of the protocol; send binary frames');
      return;
    }
    const decoded = decodeFrame(toBytes(data));
    if (!decoded.ok) {
      session.close(CloseCode.undecodable, `undecodable frame: ${decoded.error.message}`);
      return;
    }
    room.receive(session, decoded.frame);
  });
  socket.on('pong', () => session.markAlive());
  socket.on('close', (code, reason) => {
    session.handleTransportClosed();
    deps.sessions.delete(session);
    deps.registry.leave(session);
    session.log.info({ code, reason: reason.toString('utf8') }, 'session ended');
  });

  deps.registry.join(session).then(
    (joined) => {
      room = joined;
      if (session.isOpen) socket.resume();
    },
    (err: unknown) => {
      // Read again so the peer's closing handshake is seen.
      socket.resume();
      const code = err instanceof JoinError ? err.closeCode : CloseCode.internalError;
      session.close(code, err instanceof Error ? err.message : 'join failed');
    },
  );
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

function splitProtocols(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
