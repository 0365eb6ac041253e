import { randomUUID } from 'node:crypto';
import {
  CloseCode,
  decodeFrame,
  encodeFrame,
  type Frame,
  negotiateSubprotocol,
  TANDEM_SUBPROTOCOL,
} from '@tandem/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { accessFor, applyAccess, refreshAccess } from '../auth/access.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Config } from '../config.js';
import type { Recorder } from '../ops/recorder.js';
import type { Telemetry } from '../ops/telemetry.js';
import type { Room } from '../rooms/room.js';
import { JoinError, type RoomRegistry } from '../rooms/room-registry.js';
import { Session } from '../rooms/session.js';
import { createRateLimiter } from '../rooms/token-bucket.js';
import type { ConnectionCounter } from './client-address.js';
import { attachMuxConnection } from './mux-connection.js';
import { releaseUpgrade } from './release-upgrade.js';
import { parseRoomName } from './room-name.js';
import { type Admission, admissionOf, upgradeGuard } from './upgrade-guard.js';

/** Path prefix of the sync endpoint; y-websocket clients use `ws://HOST:PORT/sync` as serverUrl. */
export const SYNC_PREFIX = '/sync/';

/** What the sync route needs. */
export interface SyncRouteDeps {
  readonly config: Config;
  readonly registry: RoomRegistry;
  /** Every live session (joined or still waiting for its room), for the heartbeat. */
  readonly sessions: Set<Session>;
  readonly logger: Logger;
  /** Token verification; null in open mode. */
  readonly verifier: TokenVerifier | null;
  readonly connections: ConnectionCounter;
  readonly telemetry: Telemetry;
  /** Opt-in recording of inbound frames per room. */
  readonly recorder: Recorder;
}

/** `GET /sync/<room>` (one document) and `GET /sync` (multiplexed, tandem.v1). */
export async function syncRoute(app: FastifyInstance, deps: SyncRouteDeps): Promise<void> {
  const roomOf = (request: FastifyRequest) => {
    const parsed = parseRoomName(request.url.slice(SYNC_PREFIX.length));
    return parsed.ok ? parsed.roomId : null;
  };
  const guard = upgradeGuard(deps, roomOf);

  // One tandem.v1 connection for many documents (MUX-1).
  app.get('/sync', { websocket: true, preValidation: upgradeGuard(deps, () => null) }, (socket, request) => {
    const negotiated = negotiateSubprotocol(splitProtocols(request.headers['sec-websocket-protocol']));
    if (negotiated.kind !== 'tandem') {
      return socket.close(
        CloseCode.unsupportedProtocolVersion,
        `the multiplexed endpoint /sync speaks ${TANDEM_SUBPROTOCOL} only; plain y-websocket clients connect to /sync/<room>`,
      );
    }
    const admission = admissionOf(socket, request);
    if (admission === null) return;
    releaseUpgrade(socket, request, deps.logger);
    track(socket, admission, deps);
    attachMuxConnection(socket, { ...deps, identity: admission.identity });
  });

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
      const roomId = roomOf(request) as string;
      const negotiated = negotiateSubprotocol(splitProtocols(request.headers['sec-websocket-protocol']));
      if (negotiated.kind === 'unsupported') {
        request.log.info({ offered: request.headers['sec-websocket-protocol'] }, 'unsupported protocol version');
        return socket.close(
          CloseCode.unsupportedProtocolVersion,
          `unsupported protocol version ${negotiated.selected}; this server speaks ${TANDEM_SUBPROTOCOL}`,
        );
      }
      const admission = admissionOf(socket, request);
      if (admission === null) return;
      releaseUpgrade(socket, request, deps.logger);
      track(socket, admission, deps);
      const id = randomUUID();
      const session = new Session({
        id,
        roomId,
        protocol: negotiated.kind === 'tandem' ? TANDEM_SUBPROTOCOL : 'plain',
        socket,
        logger: deps.logger.child({ room: roomId, session: id, address: admission.address }),
        maxBufferedBytes: deps.config.maxBufferedBytes,
        slowCloseGraceMs: deps.config.slowCloseGraceMs,
        telemetry: deps.telemetry,
        ...(request.raw.socket == null ? {} : { stream: request.raw.socket }),
      });
      attach(socket, session, admission, deps);
    },
  );
}

/** Counts the socket against its address until it closes (LIMIT-2). */
function track(socket: WebSocket, admission: Admission, deps: SyncRouteDeps): void {
  deps.connections.add(admission.address);
  socket.once('close', () => deps.connections.remove(admission.address));
}

function attach(socket: WebSocket, session: Session, admission: Admission, deps: SyncRouteDeps): void {
  deps.sessions.add(session);
  session.log.info({ protocol: session.protocol }, 'session opened');
  const limiter = createRateLimiter(deps.config.rateLimits);
  let room: Room | undefined;
  let authenticated = admission.access !== null;
  // Frames that arrive before authentication or while the room loads, bounded.
  let waiting: Frame[] = [];
  let waitingBytes = 0;

  const join = () => {
    deps.registry.join(session).then(
      (joined) => {
        room = joined;
        const queued = waiting;
        waiting = [];
        for (const frame of queued) {
          if (!session.isOpen) break;
          if (deps.recorder.isRecording(session.roomId))
            deps.recorder.record(session.roomId, session.id, encodeFrame(frame));
          joined.receive(session, frame);
        }
      },
      (err: unknown) => {
        const code = err instanceof JoinError ? err.closeCode : CloseCode.internalError;
        session.close(code, err instanceof Error ? err.message : 'join failed');
      },
    );
  };

  const authenticate = async (token: string) => {
    if (authenticated) {
      await refreshAccess(deps.verifier, session, token);
      return;
    }
    const access = await accessFor(deps.verifier, token, session.roomId);
    if (!session.isOpen || authenticated) return;
    if (!access.ok) {
      session.close(access.code, access.reason);
      return;
    }
    authenticated = true;
    clearTimeout(authTimer);
    applyAccess(session, access);
    join();
  };

  let authTimer: NodeJS.Timeout | undefined;
  if (admission.access !== null) {
    applyAccess(session, admission.access);
    join();
  } else {
    authTimer = setTimeout(
      () => session.close(CloseCode.unauthenticated, `no token within ${deps.config.authTimeoutMs} ms`),
      deps.config.authTimeoutMs,
    );
    authTimer.unref();
  }

  socket.on('message', (data, isBinary) => {
    if (!session.isOpen) return;
    if (!isBinary) {
      session.close(CloseCode.undecodable, 'text frames are not part of the protocol; send binary frames');
      return;
    }
    const bytes = toBytes(data);
    if (!limiter.admit(bytes.byteLength)) {
      session.close(CloseCode.policyViolation, 'rate limit exceeded');
      return;
    }
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      deps.telemetry.frameIn('undecodable', bytes.byteLength);
      session.close(CloseCode.undecodable, `undecodable frame: ${decoded.error.message}`);
      return;
    }
    deps.telemetry.frameIn(decoded.frame.type, bytes.byteLength);
    if (decoded.frame.type === 'auth-token') {
      void authenticate(decoded.frame.token);
      return;
    }
    if (room !== undefined) {
      deps.recorder.record(session.roomId, session.id, bytes);
      room.receive(session, decoded.frame);
      return;
    }
    waitingBytes += bytes.byteLength;
    const limit = authenticated ? deps.config.maxBufferedBytes : deps.config.maxPreAuthBytes;
    if (waitingBytes > limit) {
      session.close(
        authenticated ? CloseCode.tryAgainLater : CloseCode.unauthenticated,
        authenticated
          ? 'too much data sent while the document was loading'
          : 'too much data sent before authenticating',
      );
      return;
    }
    // Decoded payloads view the socket's buffer: keep a copy while waiting.
    const copy = decodeFrame(bytes.slice());
    if (copy.ok) waiting.push(copy.frame);
  });
  socket.on('pong', () => session.markAlive());
  socket.on('close', (code, reason) => {
    clearTimeout(authTimer);
    session.handleTransportClosed();
    deps.sessions.delete(session);
    deps.registry.leave(session);
    session.log.info({ code, reason: reason.toString('utf8') }, 'session ended');
  });
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
