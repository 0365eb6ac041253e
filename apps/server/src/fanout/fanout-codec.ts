import type { FanoutMessage } from './fanout.js';

/** Format version of a fan-out envelope; bumped if the layout ever changes. */
const VERSION = 1;
const KINDS: readonly FanoutMessage['kind'][] = ['update', 'awareness', 'sync-request', 'sync-state'];

/** A fan-out message as it travels on Redis: who sent it, and what. */
export interface FanoutEnvelope {
  readonly nodeId: string;
  readonly message: FanoutMessage;
}

/** Layout: [version u8][kind u8][node id length u8][node id UTF-8][payload]. */
export function encodeEnvelope(nodeId: string, message: FanoutMessage): Buffer {
  const id = Buffer.from(nodeId, 'utf8');
  if (id.byteLength > 255) throw new RangeError('node id longer than 255 bytes');
  const header = Buffer.from([VERSION, KINDS.indexOf(message.kind), id.byteLength]);
  return Buffer.concat([header, id, message.payload]);
}

/** Decodes an envelope; null for bytes another version (or something else) wrote. */
export function decodeEnvelope(bytes: Buffer): FanoutEnvelope | null {
  if (bytes.byteLength < 3 || bytes[0] !== VERSION) return null;
  const kind = KINDS[bytes[1] as number];
  const idLength = bytes[2] as number;
  if (kind === undefined || bytes.byteLength < 3 + idLength) return null;
  const nodeId = bytes.subarray(3, 3 + idLength).toString('utf8');
  // A copy: the room may keep the payload beyond the lifetime of the socket's buffer.
  const payload = new Uint8Array(bytes.subarray(3 + idLength));
  return { nodeId, message: { kind, payload } };
}
