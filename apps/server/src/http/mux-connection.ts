import { randomUUID } from 'node:crypto';
import { CloseCode, decodeFrame, encode, encodeFrame, type Frame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { accessFor, accessOf, applyAccess, refreshAccess } from '../auth/access.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Config } from '../config.js';
import type { Identity } from '../identity.js';
import type { Recorder } from '../ops/recorder.js';
import type { Telemetry } from '../ops/telemetry.js';
import type { Room } from '../rooms/room.js';
import { JoinError, type RoomRegistry } from '../rooms/room-registry.js';
import { Session, type SessionSocket } from '../rooms/session.js';
import { createRateLimiter } from '../rooms/token-bucket.js';
import { WRITES_PAUSED_REASON } from '../rooms/write-pause.js';
import { parseRoomName } from './room-name.js';

/** What a multiplexed connection needs. */
export interface MuxDeps {
  readonly config: Config;
  readonly registry: RoomRegistry;
  readonly sessions: Set<Session>;
  readonly logger: Logger;
  /** Token verification; null in open mode. */
  readonly verifier: TokenVerifier | null;
  /** The identity of a token sent with the upgrade request, if any. */
  readonly identity: Identity | null;
  readonly telemetry: Telemetry;
  readonly recorder: Recorder;
}

interface DocChannel {
  readonly session: Session;
  room: Room | undefined;
  /** Frames that arrived while the room was loading; bounded by MAX_BUFFERED_BYTES. */
  queued: Frame[];
  queuedBytes: number;
}

/**
 * One tandem.v1 socket carrying many documents (MUX-1..MUX-5). Each open document is a
 * Session of its own whose transport wraps frames in `doc` frames and whose close is a
 * `close-doc` frame, so one document's failure never closes the others. The socket itself
 * is a carrier Session: it answers heartbeats, app pings and backpressure for all of them.
 */
export function attachMuxConnection(socket: WebSocket, deps: MuxDeps): void {
  const id = randomUUID();
  const log = deps.logger.child({ connection: id });
  const carrier = new Session({
    id,
    roomId: '',
    protocol: TANDEM_SUBPROTOCOL,
    socket,
    logger: log,
    maxBufferedBytes: deps.config.maxBufferedBytes,
    slowCloseGraceMs: deps.config.slowCloseGraceMs,
    telemetry: deps.telemetry,
  });
  const channels = new Map<string, DocChannel>();
  deps.sessions.add(carrier);
  log.info('multiplexed connection opened');

  const detach = (doc: string, channel: DocChannel) => {
    if (channels.get(doc) !== channel) return;
    channels.delete(doc);
    channel.session.handleTransportClosed();
    deps.registry.leave(channel.session);
  };

  const docSocket = (doc: string, channelRef: () => DocChannel | undefined): SessionSocket => ({
    send: (data) => socket.send(encode.doc(doc, data)),
    close: (code, reason) => {
      // A slow reader is the socket's problem, not one document's: close the carrier. Paused writes
      // (PERSIST-5) are one document's: it alone gets close-doc 1013, the others carry on.
      if (code === CloseCode.tryAgainLater && reason !== WRITES_PAUSED_REASON) carrier.close(code, reason);
      else if (carrier.isOpen) socket.send(encode.closeDoc(doc, code, reason));
      const channel = channelRef();
      if (channel !== undefined) detach(doc, channel);
    },
    terminate: () => carrier.terminate('document session terminated'),
    ping: () => {},
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  });

  // Authentication for documents opened without a token of their own (AUTH-2).
  let connectionIdentity = deps.identity;
  const limiter = createRateLimiter(deps.config.rateLimits);
  const authTimer =
    deps.verifier !== null && connectionIdentity === null
      ? setTimeout(() => {
          if (connectionIdentity === null && channels.size === 0) {
            carrier.close(CloseCode.unauthenticated, `no token within ${deps.config.authTimeoutMs} ms`);
          }
        }, deps.config.authTimeoutMs)
      : undefined;
  authTimer?.unref();

  // Documents opened while a connection token is being verified wait for it (the client sends
  // its token first, then opens documents without waiting for an answer).
  let connectionAuth: Promise<void> = Promise.resolve();
  const authenticateConnection = async (token: string) => {
    if (deps.verifier === null) return;
    const verified = await deps.verifier.verify(token);
    if (!carrier.isOpen) return;
    if (!verified.ok) {
      carrier.close(CloseCode.unauthenticated, verified.reason);
      return;
    }
    if (connectionIdentity !== null && connectionIdentity.userId !== verified.identity.userId) {
      carrier.close(CloseCode.unauthenticated, 'a refreshed token must be for the same user');
      return;
    }
    connectionIdentity = verified.identity;
  };

  /** Resolves a document's access from its own token, else the connection's identity. */
  const accessForDoc = async (doc: string, token: string) => {
    if (token !== '' || deps.verifier === null) return accessFor(deps.verifier, token === '' ? null : token, doc);
    await connectionAuth;
    if (connectionIdentity !== null) return accessOf(connectionIdentity, doc);
    return accessFor(deps.verifier, null, doc);
  };

  const open = (doc: string, token: string) => {
    const parsed = parseRoomName(encodeURIComponent(doc));
    if (!parsed.ok) {
      socket.send(encode.closeDoc(doc, CloseCode.policyViolation, parsed.error));
      return;
    }
    if (channels.has(doc)) return;
    if (channels.size >= deps.config.maxDocsPerConnection) {
      socket.send(
        encode.closeDoc(
          doc,
          CloseCode.policyViolation,
          `too many documents on one connection (limit ${deps.config.maxDocsPerConnection})`,
        ),
      );
      return;
    }
    const sessionId = randomUUID();
    let channel: DocChannel | undefined;
    const session = new Session({
      id: sessionId,
      roomId: doc,
      protocol: TANDEM_SUBPROTOCOL,
      socket: docSocket(doc, () => channel),
      logger: log.child({ room: doc, session: sessionId }),
      maxBufferedBytes: deps.config.maxBufferedBytes,
      slowCloseGraceMs: deps.config.slowCloseGraceMs,
      telemetry: deps.telemetry,
    });
    const opened: DocChannel = { session, room: undefined, queued: [], queuedBytes: 0 };
    channel = opened;
    channels.set(doc, opened);
    accessForDoc(doc, token)
      .then((access) => {
        if (!access.ok) throw new JoinError(access.code, access.reason);
        if (channels.get(doc) !== opened) throw new JoinError(CloseCode.normal, 'left');
        applyAccess(session, access);
        return deps.registry.join(session);
      })
      .then(
        (room) => {
          if (channels.get(doc) !== opened) return;
          opened.room = room;
          const queued = opened.queued;
          opened.queued = [];
          for (const frame of queued) {
            if (!session.isOpen) break;
            if (deps.recorder.isRecording(doc)) deps.recorder.record(doc, session.id, encodeFrame(frame));
            room.receive(session, frame);
          }
        },
        (err: unknown) => {
          const code = err instanceof JoinError ? err.closeCode : CloseCode.internalError;
          session.close(code, err instanceof Error ? err.message : 'join failed');
        },
      );
  };

  const routeToDoc = (doc: string, bytes: Uint8Array) => {
    const channel = channels.get(doc);
    if (channel === undefined) return; // Closed already: the client learns it from our close-doc.
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      channel.session.close(CloseCode.undecodable, `undecodable frame: ${decoded.error.message}`);
      return;
    }
    if (decoded.frame.type === 'auth-token') {
      void refreshAccess(deps.verifier, channel.session, decoded.frame.token);
      return;
    }
    if (decoded.frame.type === 'doc' || decoded.frame.type === 'open' || decoded.frame.type === 'close-doc') {
      channel.session.close(CloseCode.policyViolation, 'multiplexing frames cannot be nested in a doc frame');
      return;
    }
    if (channel.room !== undefined) {
      deps.recorder.record(doc, channel.session.id, bytes);
      channel.room.receive(channel.session, decoded.frame);
      return;
    }
    channel.queuedBytes += bytes.byteLength;
    if (channel.queuedBytes > deps.config.maxBufferedBytes) {
      channel.session.close(CloseCode.tryAgainLater, 'too much data sent while the document was loading');
      return;
    }
    // The frame's payload views the socket's buffer; keep a copy while the room loads.
    const copy = decodeFrame(bytes.slice());
    if (copy.ok) channel.queued.push(copy.frame);
  };

  socket.on('message', (data, isBinary) => {
    if (!carrier.isOpen) return;
    if (!isBinary) {
      carrier.close(CloseCode.undecodable, 'text frames are not part of the protocol; send binary frames');
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    if (!limiter.admit(bytes.byteLength)) {
      carrier.close(CloseCode.policyViolation, 'rate limit exceeded');
      return;
    }
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      deps.telemetry.frameIn('undecodable', bytes.byteLength);
      carrier.close(CloseCode.undecodable, `undecodable frame: ${decoded.error.message}`);
      return;
    }
    const frame = decoded.frame;
    deps.telemetry.frameIn(frame.type, bytes.byteLength);
    switch (frame.type) {
      case 'doc':
        routeToDoc(frame.doc, frame.frame);
        return;
      case 'open':
        open(frame.doc, frame.token);
        return;
      case 'close-doc': {
        const channel = channels.get(frame.doc);
        if (channel !== undefined) detach(frame.doc, channel);
        return;
      }
      case 'ping':
        carrier.markAlive();
        carrier.sendExtension({ type: 'pong', id: frame.id });
        return;
      case 'pong':
        carrier.markAlive();
        return;
      case 'auth-token':
        connectionAuth = authenticateConnection(frame.token);
        return;
      default:
        carrier.close(
          CloseCode.policyViolation,
          `${frame.type} frames must be wrapped in a doc frame on the multiplexed endpoint /sync`,
        );
    }
  });
  socket.on('pong', () => carrier.markAlive());
  socket.on('close', (code, reason) => {
    clearTimeout(authTimer);
    carrier.handleTransportClosed();
    deps.sessions.delete(carrier);
    for (const [doc, channel] of channels) detach(doc, channel);
    log.info({ code, reason: reason.toString('utf8') }, 'multiplexed connection ended');
  });
}
