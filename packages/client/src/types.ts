import type { Frame } from '@tandem/protocol';

/**
 * An event handler the socket calls. Checked like a method (bivariantly), as the DOM's own
 * handlers are, so that `ws`'s handlers, typed with its own event classes, fit (CLIENT-16).
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of the WebSocket API the client uses; the browser's WebSocket and Node's `ws` both fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

/** A WebSocket constructor (the global one in browsers, `ws` in Node). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** A token, or a function called on every (re)connect that returns one (e.g. to refresh it). */
export type TokenSource = string | (() => string | null | undefined | Promise<string | null | undefined>);

/** A token that cannot be one (CLIENT-15); it is never sent. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** RFC 6750's b64token: what an `Authorization: Bearer` value may hold (JWTs fit). */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Reads a token source: null for none, the token with surrounding white space trimmed (a token
 * route's body often ends with a newline), or an {@link InvalidTokenError} for anything that is
 * not a bearer token — typically the HTML page a missing route or a login redirect answers with.
 */
export async function readToken(source: TokenSource | undefined): Promise<string | null> {
  if (source === undefined) return null;
  const value = (typeof source === 'function' ? await source() : source)?.trim();
  if (value === undefined || value === '') return null;
  if (BEARER_TOKEN.test(value)) return value;
  const what = typeof source === 'function' ? 'the token function returned' : 'the token is';
  const start = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value.startsWith('<')) {
    throw new InvalidTokenError(`${what} an HTML page, not a token (${start}): does the route it fetches exist?`);
  }
  const bad = [...value].findIndex((c) => !BEARER_TOKEN.test(c));
  throw new InvalidTokenError(
    `${what} something that is not a bearer token (${start}): character ${JSON.stringify(value[bad] ?? '=')} at ${bad} is not allowed`,
  );
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
