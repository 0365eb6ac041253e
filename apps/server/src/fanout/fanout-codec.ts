import { FANOUT_KINDS, type FanoutMessage } from './fanout.js';

/** Format version of a fan-out envelope; 2 adds the send time. Version 1 is still read (rolling upgrades). */
const VERSION = 2;
const KINDS: readonly FanoutMessage['kind'][] = FANOUT_KINDS;

/** A fan-out message as it travels on Redis: who sent it, and what. */
export interface FanoutEnvelope {
  readonly nodeId: string;
  readonly message: FanoutMessage;
}

/** Layout: [version u8][kind u8][node id length u8][node id UTF-8][sent at f64 BE, ms][payload]. */
export function encodeEnvelope(nodeId: string, message: FanoutMessage, now: number = Date.now()): Buffer {
  const id = Buffer.from(nodeId, 'utf8');
  if (id.byteLength > 255) throw new RangeError('node id longer than 255 bytes');
  const header = Buffer.from([VERSION, KINDS.indexOf(message.kind), id.byteLength]);
  const sentAt = Buffer.alloc(8);
  sentAt.writeDoubleBE(now);
  return Buffer.concat([header, id, sentAt, message.payload]);
}

/** Decodes an envelope; null for bytes another version (or something else) wrote. */
export function decodeEnvelope(bytes: Buffer): FanoutEnvelope | null {
  const version = bytes[0];
  if (bytes.byteLength < 3 || (version !== 1 && version !== VERSION)) return null;
  const kind = KINDS[bytes[1] as number];
  const idLength = bytes[2] as number;
  const timeBytes = version === VERSION ? 8 : 0;
  if (kind === undefined || bytes.byteLength < 3 + idLength + timeBytes) return null;
  const nodeId = bytes.subarray(3, 3 + idLength).toString('utf8');
  const sentAt = timeBytes === 0 ? undefined : bytes.readDoubleBE(3 + idLength);
  // A copy: the room may keep the payload beyond the lifetime of the socket's buffer.
  const payload = new Uint8Array(bytes.subarray(3 + idLength + timeBytes));
  return { nodeId, message: sentAt === undefined ? { kind, payload } : { kind, payload, sentAt } };
}
