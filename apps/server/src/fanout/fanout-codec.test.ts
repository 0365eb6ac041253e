import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from './fanout-codec.js';

describe('fan-out envelope', () => {
  it('CLUSTER-8: carries the sender, the kind, the payload and the send time', () => {
    const bytes = encodeEnvelope('node-a', { kind: 'awareness', payload: Uint8Array.of(1, 2, 3) }, 1_700_000_000_123.5);
    expect(decodeEnvelope(bytes)).toEqual({
      nodeId: 'node-a',
      message: { kind: 'awareness', payload: Uint8Array.of(1, 2, 3), sentAt: 1_700_000_000_123.5 },
    });
  });

  it('CLUSTER-8: still reads version-1 envelopes (no send time) during a rolling upgrade; rejects others', () => {
    const v1 = Buffer.concat([Buffer.from([1, 0, 1]), Buffer.from('n'), Buffer.from([9, 9])]);
    expect(decodeEnvelope(v1)).toEqual({ nodeId: 'n', message: { kind: 'update', payload: Uint8Array.of(9, 9) } });
    expect(decodeEnvelope(Buffer.from([3, 0, 0]))).toBeNull();
    expect(decodeEnvelope(Buffer.from([2, 0, 1, 65]))).toBeNull();
  });
});
