import { CloseCode, decodeFrame, encode, encodeFrame, type Frame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import type { WebSocket } from 'ws';
import { type AccessResult, accessFor, accessOf } from '../auth/access.js';
import type { Identity } from '../identity.js';
import { Connection, newConnectionId, type TransportStream } from './connection.js';
import { DocumentChannel } from './document-channel.js';
import { type CarrierSocket, documentSocket } from './document-socket.js';
import { FragmentingSocket } from './fragmenting-socket.js';
import type { PipelineDeps } from './pipeline-deps.js';
import type { ProtocolAdapter } from './protocol-adapter.js';
import { parseRoomName } from './room-name.js';
import { createSession, newSessionId } from './session.js';
import { runPipeline } from './socket-pipeline.js';
import { refreshAccess } from './token-refresh.js';

/**
 * `/sync` in tandem.v1: many documents over one socket (MUX-1..MUX-5). Each open document is a
 * session of its own on a {@link documentSocket}, with a channel of its own; the socket's own
 * {@link Connection} (the carrier) answers heartbeats, app pings and backpressure for all of them.
 */
export class MultiplexAdapter implements ProtocolAdapter<Frame> {
  private readonly channels = new Map<string, DocumentChannel>();
  /** Authentication for documents opened without a token of their own (AUTH-2). */
  private identity: Identity | null;
  /**
   * Documents opened while a connection token is being verified wait for it (the client sends
   * its token first, then opens documents without waiting for an answer).
   */
  private connectionAuth: Promise<void> = Promise.resolve();
  private readonly authTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly carrier: Connection,
    private readonly socket: CarrierSocket,
    private readonly deps: PipelineDeps,
    identity: Identity | null,
  ) {
    this.identity = identity;
    const timeoutMs = deps.limits.authTimeoutMs;
    this.authTimer =
      deps.verifier !== null && identity === null
        ? setTimeout(() => {
            if (this.identity === null && this.channels.size === 0) {
              carrier.close(CloseCode.unauthenticated, `no token within ${timeoutMs} ms`);
            }
          }, timeoutMs)
        : undefined;
    this.authTimer?.unref();
  }

  frame(frame: Frame): void {
    switch (frame.type) {
      case 'doc':
        this.routeToDoc(frame.doc, frame.frame);
        return;
      case 'open':
        this.open(frame.doc, frame.token);
        return;
      case 'close-doc': {
        const channel = this.channels.get(frame.doc);
        if (channel !== undefined) this.detach(frame.doc, channel);
        return;
      }
      case 'ping':
        this.carrier.markAlive();
        this.carrier.send(encodeFrame({ type: 'pong', id: frame.id }));
        return;
      case 'pong':
        this.carrier.markAlive();
        return;
      case 'auth-token':
        this.connectionAuth = this.authenticate(frame.token);
        return;
      default:
        this.carrier.close(
          CloseCode.policyViolation,
          `${frame.type} frames must be wrapped in a doc frame on the multiplexed endpoint /sync`,
        );
    }
  }

  ended(): void {
    clearTimeout(this.authTimer);
    for (const [doc, channel] of this.channels) this.detach(doc, channel);
  }

  private routeToDoc(doc: string, bytes: Uint8Array): void {
    const channel = this.channels.get(doc);
    if (channel === undefined) return; // Closed already: the client learns it from our close-doc.
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      channel.session.close(CloseCode.undecodable, `undecodable frame: ${decoded.error.message}`);
      return;
    }
    const frame = decoded.frame;
    if (frame.type === 'auth-token') {
      void refreshAccess(this.deps.verifier, channel.session, frame.token);
      return;
    }
    if (frame.type === 'doc' || frame.type === 'open' || frame.type === 'close-doc') {
      channel.session.close(CloseCode.policyViolation, 'multiplexing frames cannot be nested in a doc frame');
      return;
    }
    channel.receive(frame, bytes);
  }

  private open(doc: string, token: string): void {
    const { deps, socket } = this;
    const parsed = parseRoomName(encodeURIComponent(doc));
    if (!parsed.ok) {
      socket.send(encode.closeDoc(doc, CloseCode.policyViolation, parsed.error));
      return;
    }
    if (this.channels.has(doc)) return;
    const limit = deps.limits.maxDocsPerConnection;
    if (this.channels.size >= limit) {
      socket.send(
        encode.closeDoc(doc, CloseCode.policyViolation, `too many documents on one connection (limit ${limit})`),
      );
      return;
    }
    const id = newSessionId();
    const session = createSession({
      id,
      roomId: parsed.roomId,
      protocol: TANDEM_SUBPROTOCOL,
      socket: documentSocket(doc, this.carrier, socket, () => this.detach(doc, channel)),
      logger: deps.logger,
      logBindings: { connection: this.carrier.id, room: doc, session: id },
      maxBufferedBytes: deps.limits.maxBufferedBytes,
      slowCloseGraceMs: deps.limits.slowCloseGraceMs,
      metrics: deps.metrics,
    });
    const channel = new DocumentChannel(session, deps, 'authorizing');
    this.channels.set(doc, channel);
    this.accessFor(doc, token).then(
      (access) => channel.admit(access),
      (err: unknown) => channel.fail(err),
    );
  }

  /** The document's channel is gone: it leaves its room (once; a later close-doc finds nothing). */
  private detach(doc: string, channel: DocumentChannel): void {
    if (this.channels.get(doc) !== channel) return;
    this.channels.delete(doc);
    channel.leave();
  }

  private async authenticate(token: string): Promise<void> {
    const { verifier } = this.deps;
    if (verifier === null) return;
    const verified = await verifier.verify(token);
    if (!this.carrier.isOpen) return;
    if (!verified.ok) {
      this.carrier.close(CloseCode.unauthenticated, verified.reason);
      return;
    }
    if (this.identity !== null && this.identity.userId !== verified.identity.userId) {
      this.carrier.close(CloseCode.unauthenticated, 'a refreshed token must be for the same user');
      return;
    }
    this.identity = verified.identity;
  }

  /** Resolves a document's access from its own token, else the connection's identity. */
  private async accessFor(doc: string, token: string): Promise<AccessResult> {
    const { verifier } = this.deps;
    if (token !== '' || verifier === null) return accessFor(verifier, token === '' ? null : token, doc);
    await this.connectionAuth;
    if (this.identity !== null) return accessOf(this.identity, doc);
    return accessFor(verifier, null, doc);
  }
}

/** Runs a `/sync` socket from `address`: the carrier connection and its multiplexing adapter. */
export function openMultiplexConnection(
  socket: WebSocket,
  upgrade: { readonly identity: Identity | null; readonly stream: TransportStream | null; readonly address: string },
  deps: PipelineDeps,
): void {
  const { identity } = upgrade;
  const id = newConnectionId();
  const out = new FragmentingSocket(socket, deps.limits.sendFragmentBytes);
  const carrier = new Connection({
    id,
    socket: out,
    logger: deps.logger,
    logBindings: { connection: id },
    notices: true,
    maxBufferedBytes: deps.limits.maxBufferedBytes,
    slowCloseGraceMs: deps.limits.slowCloseGraceMs,
    metrics: deps.metrics,
    ...(upgrade.stream === null ? {} : { stream: upgrade.stream }),
  });
  const adapter = new MultiplexAdapter(carrier, out, deps, identity);
  runPipeline(
    socket,
    {
      connection: carrier,
      tracked: carrier,
      decode: decodeFrame,
      adapter,
      endedMessage: 'multiplexed connection ended',
      address: upgrade.address,
    },
    deps,
  );
  // Logged with the parent, so that a connection that never logs again holds no child logger.
  deps.logger.info({ connection: id }, 'multiplexed connection opened');
}
