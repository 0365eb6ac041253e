import { encode } from '@tandem/protocol';
import type { Rng } from '@tandem/test-utils';
import * as Y from 'yjs';
import { awarenessUpdateFor } from './awareness.js';

/** Valid frames of every kind a client may send, built from real Yjs and awareness updates. */
export function seedFrames(): Uint8Array[] {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  doc.getText('content').insert(0, 'fuzz seed text');
  doc.getMap('meta').set('title', 'seed');
  doc.getText('content').delete(2, 3);
  doc.getArray('list').push([1, 'two', { three: 3 }]);
  return [
    encode.syncStep1(Y.encodeStateVector(doc)),
    encode.syncStep2(Y.encodeStateAsUpdate(doc)),
    ...updates.map((u) => encode.syncUpdate(u)),
    encode.awareness(awarenessUpdateFor(77, 1, { user: { name: 'fuzz' } })),
    encode.queryAwareness(),
    encode.ping(3),
    encode.ack(1),
    encode.notice(1, 'x'),
    encode.authToken('not-a-token'),
    // The RLE bomb: one GC struct claiming 2^45 clocks in 14 bytes.
    encode.syncUpdate(Uint8Array.of(1, 1, 42, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x04, 0)),
  ];
}

/** One fuzz case: bytes to send, or a text frame. */
export type FuzzFrame =
  | { readonly kind: 'binary'; readonly bytes: Uint8Array }
  | { readonly kind: 'text'; readonly text: string };

/** Derives a mutated frame from the seeds: bit flips, truncation, junk, varint overflow, unknown types, text. */
export function mutate(rng: Rng, seeds: readonly Uint8Array[]): FuzzFrame {
  const seed = rng.pick(seeds);
  const bytes = seed.slice();
  switch (rng.int(0, 7)) {
    case 0: {
      const flips = rng.int(1, 4);
      for (let i = 0; i < flips; i++) {
        const at = rng.int(0, bytes.length - 1);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << rng.int(0, 7));
      }
      return { kind: 'binary', bytes };
    }
    case 1:
      return { kind: 'binary', bytes: bytes.subarray(0, rng.int(0, Math.max(0, bytes.length - 1))) };
    case 2:
      return { kind: 'binary', bytes: concat(bytes, rng.bytes(rng.int(1, 16))) };
    case 3: {
      // A varint that never ends, or overflows 2^53.
      const overflow = Uint8Array.from({ length: rng.int(8, 12) }, () => 0xff);
      const at = rng.int(0, bytes.length);
      return { kind: 'binary', bytes: concat(concat(bytes.subarray(0, at), overflow), bytes.subarray(at)) };
    }
    case 4:
      bytes[0] = rng.int(72, 255);
      return { kind: 'binary', bytes };
    case 5:
      return { kind: 'binary', bytes: rng.bytes(rng.int(1, 64)) };
    case 6:
      return { kind: 'text', text: 'not binary' };
    default: {
      const at = rng.int(0, bytes.length - 1);
      bytes[at] = rng.int(0, 255);
      return { kind: 'binary', bytes };
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
