/**
 * Pre-framed messages for the load generator. Load clients never hold a Y.Doc: every Yjs update
 * they send is encoded here directly (the bytes Yjs itself writes for a one-character insert into
 * a root Y.Text), so generating hundreds of thousands of updates costs microseconds, not a Y.Doc
 * transaction each. `bench/test/frames.test.ts` checks the bytes against Yjs.
 */

import { writeAwarenessEntries } from '@tandem/protocol';

/** How a server frames y-protocols messages on the wire. */
export type Dialect = 'y-websocket' | 'hocuspocus';

/** Appends lib0's varUint encoding of `n` to `out`. */
function pushVarUint(out: number[], n: number): void {
  let v = n;
  while (v > 0x7f) {
    out.push(0x80 | (v & 0x7f));
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function pushVarBytes(out: number[], bytes: Uint8Array): void {
  pushVarUint(out, bytes.byteLength);
  for (const b of bytes) out.push(b);
}

const utf8 = new TextEncoder();

function pushVarString(out: number[], text: string): void {
  pushVarBytes(out, utf8.encode(text));
}

/** Name of the root Y.Text every typist writes into. */
export const TEXT_NAME = 'body';

/**
 * The Yjs v1 update inserting the ASCII character `char` as item `clock` of `client`: the first
 * item (clock 0) goes at the start of root text `body`; each later one right after the client's
 * previous item, so an update depends only on the same client's earlier updates.
 */
export function typingUpdate(client: number, clock: number, char: string): Uint8Array {
  const out: number[] = [];
  pushVarUint(out, 1); // one client
  pushVarUint(out, 1); // one struct
  pushVarUint(out, client);
  pushVarUint(out, clock);
  if (clock === 0) {
    out.push(4); // ContentString, no origins: parent follows
    pushVarUint(out, 1); // parent is a root type, named by key
    pushVarString(out, TEXT_NAME);
  } else {
    out.push(0x84); // ContentString with a left origin
    pushVarUint(out, client);
    pushVarUint(out, clock - 1);
  }
  pushVarString(out, char);
  pushVarUint(out, 0); // empty delete set
  return Uint8Array.from(out);
}

/** A y-protocols awareness update for one client: `count | client | clock | JSON state`. */
export function awarenessUpdate(client: number, clock: number, state: unknown): Uint8Array {
  return writeAwarenessEntries([{ clientId: client, clock, state: JSON.stringify(state) }]);
}

/** Prefix of every frame a client sends for `room` (Hocuspocus names the document in each frame). */
function prefix(dialect: Dialect, room: string): number[] {
  const out: number[] = [];
  if (dialect === 'hocuspocus') pushVarString(out, room);
  return out;
}

/** A sync-update frame (0/2) carrying `update`. */
export function syncUpdateFrame(dialect: Dialect, room: string, update: Uint8Array): Buffer {
  const out = prefix(dialect, room);
  pushVarUint(out, 0);
  pushVarUint(out, 2);
  pushVarBytes(out, update);
  return Buffer.from(out);
}

/** A sync step 1 (0/0) with the given state vector (empty: "send me everything"). */
export function syncStep1Frame(dialect: Dialect, room: string, stateVector: Uint8Array = Uint8Array.of(0)): Buffer {
  const out = prefix(dialect, room);
  pushVarUint(out, 0);
  pushVarUint(out, 0);
  pushVarBytes(out, stateVector);
  return Buffer.from(out);
}

/** A sync step 2 (0/1) carrying `update` (the answer to the server's step 1). */
export function syncStep2Frame(dialect: Dialect, room: string, update: Uint8Array): Buffer {
  const out = prefix(dialect, room);
  pushVarUint(out, 0);
  pushVarUint(out, 1);
  pushVarBytes(out, update);
  return Buffer.from(out);
}

/** An awareness frame (1) carrying `update`. */
export function awarenessFrame(dialect: Dialect, room: string, update: Uint8Array): Buffer {
  const out = prefix(dialect, room);
  pushVarUint(out, 1);
  pushVarBytes(out, update);
  return Buffer.from(out);
}

/** Hocuspocus's first frame on a document: auth / token (the server has no auth hook: any token passes). */
export function hocuspocusAuthFrame(room: string): Buffer {
  const out = prefix('hocuspocus', room);
  pushVarUint(out, 2);
  pushVarUint(out, 0);
  pushVarString(out, 'bench');
  return Buffer.from(out);
}

/** The empty Yjs update (no structs, empty delete set). */
export const EMPTY_UPDATE = Uint8Array.of(0, 0);

/** Byte offset of the message type in frames the server sends for `room` (after the name, if any). */
export function typeOffset(dialect: Dialect, room: string): number {
  return prefix(dialect, room).length;
}

/** Message type and sync sub-type of a received frame, read without decoding the payload. */
export function frameKind(frame: Uint8Array, offset: number): { type: number; sub: number } {
  return { type: frame[offset] ?? -1, sub: frame[offset + 1] ?? -1 };
}
