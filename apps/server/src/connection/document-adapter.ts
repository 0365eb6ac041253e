import { decodeFrame, type Frame } from '@tandem/protocol';
import type { WebSocket } from 'ws';
import { type Access, accessFor } from '../auth/access.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { DocumentId } from '../identity.js';
import type { TransportStream } from './connection.js';
import { type ChannelDeps, DocumentChannel } from './document-channel.js';
import { FragmentingSocket } from './fragmenting-socket.js';
import type { PipelineDeps } from './pipeline-deps.js';
import type { ProtocolAdapter } from './protocol-adapter.js';
import { createSession, newSessionId, type Session, type SessionProtocol } from './session.js';
import { runPipeline } from './socket-pipeline.js';
import { refreshAccess } from './token-refresh.js';

/**
 * `/sync/<room>`: one document per socket, in plain y-websocket or tandem.v1. The socket's one
 * document channel is its adapter too (one object per socket, not two). Every frame is the
 * document's, except an auth-token frame: the first one authenticates (AUTH-2), later ones
 * refresh the token (AUTH-5).
 */
export class DocumentAdapter extends DocumentChannel implements ProtocolAdapter<Frame> {
  constructor(
    session: Session,
    deps: ChannelDeps,
    start: 'waiting-for-auth' | 'authorizing',
    private readonly verifier: TokenVerifier | null,
  ) {
    super(session, deps, start);
  }

  frame(frame: Frame, bytes: Uint8Array): void {
    if (frame.type === 'auth-token') {
      void this.authenticate(frame.token);
      return;
    }
    this.receive(frame, bytes);
  }

  ended(): void {
    this.leave();
  }

  private async authenticate(token: string): Promise<void> {
    const { session } = this;
    if (!this.waitingForAuth) {
      await refreshAccess(this.verifier, session, token);
      return;
    }
    const access = await accessFor(this.verifier, token, session.roomId);
    // Of two tokens sent before either was verified, the first verified wins.
    if (!session.isOpen || !this.waitingForAuth) return;
    this.admit(access);
  }
}

/** What the upgrade established for a one-document socket. */
export interface DocumentUpgrade {
  readonly roomId: DocumentId;
  readonly protocol: SessionProtocol;
  /** The client's address (logged with every line). */
  readonly address: string;
  /** Access resolved from a token in the upgrade request; null: the client authenticates in-band. */
  readonly access: Access | null;
  /** The TCP socket under `socket`, for corked writes. */
  readonly stream: TransportStream | null;
}

/** Runs a `/sync/<room>` socket: one connection, one session, one document channel. */
export function openDocumentConnection(socket: WebSocket, upgrade: DocumentUpgrade, deps: PipelineDeps): void {
  const id = newSessionId();
  const session = createSession({
    id,
    roomId: upgrade.roomId,
    protocol: upgrade.protocol,
    socket: new FragmentingSocket(socket, deps.limits.sendFragmentBytes),
    logger: deps.logger,
    logBindings: { room: upgrade.roomId, session: id, address: upgrade.address },
    maxBufferedBytes: deps.limits.maxBufferedBytes,
    slowCloseGraceMs: deps.limits.slowCloseGraceMs,
    metrics: deps.metrics,
    ...(upgrade.stream === null ? {} : { stream: upgrade.stream }),
  });
  const { connection } = session;
  const adapter = new DocumentAdapter(
    session,
    deps,
    upgrade.access === null ? 'waiting-for-auth' : 'authorizing',
    deps.verifier,
  );
  runPipeline(
    socket,
    {
      connection,
      tracked: session,
      decode: decodeFrame,
      adapter,
      endedMessage: 'session ended',
      address: upgrade.address,
    },
    deps,
  );
  // Logged with the parent, so that a session that never logs again holds no child logger.
  deps.logger.info(
    { room: upgrade.roomId, session: id, address: upgrade.address, protocol: session.protocol },
    'session opened',
  );
  if (upgrade.access !== null) adapter.admit(upgrade.access);
}
