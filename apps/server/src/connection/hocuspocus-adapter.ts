import {
  CloseCode,
  decodeHocuspocusFrame,
  documentNameOf,
  encode,
  type HocuspocusAuthFrame,
  type HocuspocusFrame,
  hocuspocusEncode,
  type LongTimer,
  setLongTimeout,
} from '@tandem/protocol';
import type { WebSocket } from 'ws';
import { type AccessResult, accessFor, accessOf } from '../auth/access.js';
import type { Identity } from '../identity.js';
import type { RoomMember } from '../rooms/member.js';
import { Connection, newConnectionId, type TransportStream } from './connection.js';
import { DocumentChannel } from './document-channel.js';
import type { CarrierSocket } from './document-socket.js';
import { FragmentingSocket } from './fragmenting-socket.js';
import { HOCUSPOCUS_DIALECT, hocuspocusDocumentSocket } from './hocuspocus-socket.js';
import type { PipelineDeps } from './pipeline-deps.js';
import type { ProtocolAdapter } from './protocol-adapter.js';
import { parseRoomName } from './room-name.js';
import { createSession, newSessionId } from './session.js';
import { runPipeline } from './socket-pipeline.js';
import { refreshAccess } from './token-refresh.js';

/** A loaded room, for relaying stateless messages across nodes (the room registry). */
export interface RoomMembers {
  get(roomId: string): { relayStateless(from: RoomMember, body: Uint8Array): void } | undefined;
}

/** What the Hocuspocus adapter needs beyond every adapter's dependencies. */
export interface HocuspocusDeps extends PipelineDeps {
  readonly rooms: RoomMembers;
  /** How often an idle socket gets a message, so the provider does not take it for dead (HP-7). */
  readonly keepaliveMs: number;
}

/**
 * `/hocuspocus`: the Hocuspocus provider's wire format (HP-1..HP-9). Every message names its
 * document (its address); each address is a session of its own with a channel of its own,
 * authorized by its own auth message, over a {@link hocuspocusDocumentSocket}. The socket's own
 * {@link Connection} (the carrier) answers heartbeats and backpressure for all of them.
 */
export class HocuspocusAdapter implements ProtocolAdapter<HocuspocusFrame> {
  private readonly channels = new Map<string, DocumentChannel>();
  /** Addresses refused access: their messages are dropped until a new auth message (HP-2). */
  private readonly denied = new Set<string>();
  /** Per address: asks the provider for a fresh token before the current one expires (HP-2). */
  private readonly refreshTimers = new Map<string, LongTimer>();
  /** Whether the provider is 4.x (it sends its version, and answers the v4 ping). */
  private speaksPing = false;
  private readonly keepalive: NodeJS.Timeout;

  constructor(
    private readonly carrier: Connection,
    private readonly socket: CarrierSocket,
    private readonly deps: HocuspocusDeps,
    /** The identity of a token given in the upgrade request, for auth messages without one. */
    private readonly identity: Identity | null,
    /** The TCP socket under the WebSocket: a document's frames sent together leave in one write. */
    private readonly stream: TransportStream | null,
  ) {
    this.keepalive = setInterval(() => this.sendKeepalive(), deps.keepaliveMs);
    this.keepalive.unref();
  }

  frame(frame: HocuspocusFrame): void {
    switch (frame.type) {
      case 'hocuspocus-document': {
        if (this.denied.has(frame.address)) return;
        const channel = this.channels.get(frame.address) ?? this.open(frame.address, 'waiting-for-auth');
        channel?.receive(frame.frame, frame.bytes);
        return;
      }
      case 'hocuspocus-auth':
        void this.authenticate(frame);
        return;
      case 'hocuspocus-stateless':
        this.relayStateless(frame.address, frame.payload);
        return;
      case 'hocuspocus-close': {
        const channel = this.channels.get(frame.address);
        if (channel !== undefined) this.detach(frame.address, channel);
        return;
      }
      case 'hocuspocus-pong':
        this.carrier.markAlive();
        return;
      default:
        frame satisfies never;
    }
  }

  ended(): void {
    clearInterval(this.keepalive);
    for (const [address, channel] of this.channels) this.detach(address, channel);
  }

  /** Opens a channel for `address`, or refuses it (permission denied) and returns null. */
  private open(address: string, start: 'waiting-for-auth' | 'authorizing'): DocumentChannel | null {
    const { deps } = this;
    const parsed = parseRoomName(encodeURIComponent(documentNameOf(address)));
    if (!parsed.ok) {
      this.refuse(address, parsed.error);
      return null;
    }
    const limit = deps.limits.maxDocsPerConnection;
    if (this.channels.size >= limit) {
      this.refuse(address, `too many documents on one connection (limit ${limit})`);
      return null;
    }
    const id = newSessionId();
    const session = createSession({
      id,
      roomId: parsed.roomId,
      protocol: 'hocuspocus',
      dialect: HOCUSPOCUS_DIALECT,
      socket: hocuspocusDocumentSocket(address, this.carrier, this.socket, () => this.detach(address, channel)),
      logger: deps.logger,
      logBindings: { connection: this.carrier.id, protocol: 'hocuspocus', room: parsed.roomId, session: id },
      maxBufferedBytes: deps.limits.maxBufferedBytes,
      slowCloseGraceMs: deps.limits.slowCloseGraceMs,
      metrics: deps.metrics,
      ...(this.stream === null ? {} : { stream: this.stream }),
    });
    const channel = new DocumentChannel(session, deps, start);
    this.channels.set(address, channel);
    return channel;
  }

  /**
   * An auth message: the first for an address authorizes it (authenticated with its scope, or
   * permission denied with the reason; HP-2); a later one refreshes the token (AUTH-5).
   */
  private async authenticate(frame: HocuspocusAuthFrame): Promise<void> {
    if (frame.providerVersion !== null) this.speaksPing = true;
    const { address } = frame;
    const existing = this.channels.get(address);
    if (existing !== undefined && !existing.waitingForAuth) {
      await refreshAccess(this.deps.verifier, existing.session, frame.token);
      if (!existing.session.isOpen || this.channels.get(address) !== existing) return;
      this.sendTo(address, hocuspocusEncode.authenticated(scopeOf(existing.session)));
      this.scheduleTokenRequest(address, existing.session.identity);
      return;
    }
    this.denied.delete(address);
    const channel = existing ?? this.open(address, 'authorizing');
    if (channel === null) return;
    let access: AccessResult;
    try {
      access = await this.accessFor(frame.token, channel.session.roomId);
    } catch (err) {
      channel.fail(err);
      return;
    }
    if (this.channels.get(address) !== channel || !channel.session.isOpen) return;
    if (!access.ok) {
      this.detach(address, channel);
      this.refuse(address, access.reason);
      return;
    }
    this.sendTo(address, hocuspocusEncode.authenticated(scopeOf(access)));
    channel.admit(access);
    this.scheduleTokenRequest(address, access.identity);
  }

  /**
   * Before the token of `address` expires (30 s before, or halfway for a shorter-lived token), asks
   * the provider for its token: it calls its token function and sends the answer, which refreshes
   * the session (AUTH-5) without a reconnect. Without an answer the expiry closes it (4401).
   */
  private scheduleTokenRequest(address: string, identity: Identity | null): void {
    this.refreshTimers.get(address)?.cancel();
    this.refreshTimers.delete(address);
    if (identity === null) return;
    const remaining = identity.expiresAt - Date.now();
    const lead = Math.min(TOKEN_REQUEST_LEAD_MS, remaining / 2);
    const timer = setLongTimeout(
      () => {
        this.refreshTimers.delete(address);
        if (this.channels.has(address)) this.sendTo(address, hocuspocusEncode.tokenRequest());
      },
      remaining - lead,
      { unref: true },
    );
    this.refreshTimers.set(address, timer);
  }

  private accessFor(token: string, roomId: string): Promise<AccessResult> {
    const { verifier } = this.deps;
    if (token === '' && verifier !== null && this.identity !== null)
      return Promise.resolve(accessOf(this.identity, roomId));
    return accessFor(verifier, token === '' ? null : token, roomId);
  }

  /** Tells the provider it may not open `address`, and drops that address' messages until it re-authenticates. */
  private refuse(address: string, reason: string): void {
    if (this.denied.size >= this.deps.limits.maxDocsPerConnection) {
      this.carrier.close(CloseCode.policyViolation, 'too many refused documents on one connection');
      return;
    }
    this.denied.add(address);
    this.sendTo(address, hocuspocusEncode.permissionDenied(reason));
  }

  /**
   * Relays a stateless message to the document's other Hocuspocus sessions, on this node and the
   * other nodes (HP-8); only an authorized, open session may send one.
   */
  private relayStateless(address: string, payload: string): void {
    const channel = this.channels.get(address);
    if (channel === undefined || channel.waitingForAuth || !channel.session.isOpen) return;
    const { session } = channel;
    this.deps.rooms.get(session.roomId)?.relayStateless(session, hocuspocusEncode.stateless(payload));
  }

  /** The document's channel is gone: it leaves its room (once; a later close finds nothing). */
  private detach(address: string, channel: DocumentChannel): void {
    if (this.channels.get(address) !== channel) return;
    this.channels.delete(address);
    this.refreshTimers.get(address)?.cancel();
    this.refreshTimers.delete(address);
    channel.leave();
  }

  private sendTo(address: string, body: Uint8Array): void {
    this.carrier.send(hocuspocusEncode.addressed(address, body));
  }

  /**
   * Keeps the provider from reconnecting an idle socket (it does after 30 s without a message):
   * a 4.x provider gets the v4 ping, a 3.x one an empty awareness update for a document it has open.
   */
  private sendKeepalive(): void {
    if (!this.carrier.isOpen) return;
    if (this.speaksPing) {
      this.carrier.send(hocuspocusEncode.ping());
      return;
    }
    const first = this.channels.values().next();
    if (!first.done) first.value.session.send(EMPTY_AWARENESS);
  }
}

/** How long before a token's expiry the provider is asked for a fresh one (at most). */
const TOKEN_REQUEST_LEAD_MS = 30_000;

/** An awareness update with no entries: y-protocols applies it as nothing. */
const EMPTY_AWARENESS = encode.awareness(Uint8Array.of(0));

function scopeOf(session: { readonly canWrite: boolean }): 'read-write' | 'readonly' {
  return session.canWrite ? 'read-write' : 'readonly';
}

/** Runs a `/hocuspocus` socket: the carrier connection and its Hocuspocus adapter. */
export function openHocuspocusConnection(
  socket: WebSocket,
  upgrade: { readonly identity: Identity | null; readonly stream: TransportStream | null; readonly address: string },
  deps: HocuspocusDeps,
): void {
  const id = newConnectionId();
  const out = new FragmentingSocket(socket, deps.limits.sendFragmentBytes);
  const carrier = new Connection({
    id,
    socket: out,
    logger: deps.logger,
    logBindings: { connection: id, protocol: 'hocuspocus' },
    notices: false,
    maxBufferedBytes: deps.limits.maxBufferedBytes,
    slowCloseGraceMs: deps.limits.slowCloseGraceMs,
    metrics: deps.metrics,
    ...(upgrade.stream === null ? {} : { stream: upgrade.stream }),
  });
  const adapter = new HocuspocusAdapter(carrier, out, deps, upgrade.identity, upgrade.stream);
  runPipeline(
    socket,
    {
      connection: carrier,
      tracked: carrier,
      decode: decodeHocuspocusFrame,
      adapter,
      endedMessage: 'hocuspocus connection ended',
      address: upgrade.address,
    },
    deps,
  );
  // Logged with the parent, so that a connection that never logs again holds no child logger.
  deps.logger.info({ connection: id, protocol: 'hocuspocus' }, 'hocuspocus connection opened');
}
