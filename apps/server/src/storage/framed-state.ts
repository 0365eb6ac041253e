import { encode, MessageType, SyncType } from '@tandem/protocol';

/** The longest head of a sync step 2 frame: its two type bytes and a length of up to 2^35 (5 bytes). */
const MAX_HEAD_BYTES = 7;

/**
 * `state` (a whole document as one update) inside a sync step 2 frame: the frame, and the state
 * as a view of the frame's last bytes. A joiner with an empty state vector is answered with the
 * frame itself, so a document kept this way is never copied to answer one (see {@link frameAround}).
 */
export function framedState(state: Uint8Array): { readonly frame: Uint8Array; readonly state: Uint8Array } {
  const frame = encode.syncStep2(state);
  return { frame, state: frame.subarray(frame.byteLength - state.byteLength) };
}

/**
 * The sync step 2 frame whose body `state` is, when `state` is the end of one as
 * {@link framedState} made it (a thread may frame what it merged, and transfer the frame); null
 * otherwise.
 */
export function frameAround(state: Uint8Array): Uint8Array | null {
  const head = state.byteOffset;
  if (head < 3 || head > MAX_HEAD_BYTES || head + state.byteLength !== state.buffer.byteLength) return null;
  const frame = new Uint8Array(state.buffer, 0, head + state.byteLength);
  if (frame[0] !== MessageType.sync || frame[1] !== SyncType.step2) return null;
  // The length, lib0's varUint: 7 bits a byte, low first; it must end where the state begins.
  let length = 0;
  let scale = 1;
  for (let pos = 2; pos < head; pos++) {
    const byte = frame[pos] as number;
    length += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return pos === head - 1 && length === state.byteLength ? frame : null;
  }
  return null;
}
