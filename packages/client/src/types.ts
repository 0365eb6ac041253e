import type { Frame } from '@tandem/protocol';

/** The part of the WebSocket API the client uses; the browser's WebSocket and Node's `ws` both fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** A WebSocket constructor (the global one in browsers, `ws` in Node). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** A token, or a function called on every (re)connect that returns one (e.g. to refresh it). */
export type TokenSource = string | (() => string | null | undefined | Promise<string | null | undefined>);

/** Reads a token source. */
export async function readToken(source: TokenSource | undefined): Promise<string | null> {
  if (source === undefined) return null;
  const value = typeof source === 'function' ? await source() : source;
  return value === undefined || value === null || value === '' ? null : value;
}

/** A document attached to a connection: the provider. */
export interface Channel {
  /** The document (room) name. */
  readonly room: string;
  /** Per-document token for a multiplexed connection's `open` frame. */
  readonly token: TokenSource | undefined;
  /** True while the document waits for its initial sync step 2 (liveness allows a long first sync). */
  readonly awaitingSync: boolean;
  /** The document's channel is open: start the sync handshake with `send`. */
  onOpen(send: (frame: Uint8Array) => void): void;
  /** A frame for this document arrived. */
  onFrame(frame: Frame): void;
  /** The document's channel closed; `retrying` says whether the connection will reopen it by itself. */
  onClose(event: ChannelCloseEvent): void;
}

/** Why a channel closed. */
export interface ChannelCloseEvent {
  readonly code: number;
  readonly reason: string;
  readonly retrying: boolean;
}
