import { decodeFrame, encode } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import { frameAround, framedState } from './framed-state.js';

describe('framed state', () => {
  it('SYNC-2: frames a state as a sync step 2 whose body is the state, and finds that frame again from the body, at every length-prefix size', () => {
    for (const size of [0, 1, 127, 128, 16_383, 16_384, 2_097_152]) {
      const bytes = new Uint8Array(size).map((_, i) => i % 251);
      const { frame, state } = framedState(bytes);
      expect(state.buffer).toBe(frame.buffer);
      expect(Buffer.from(state).equals(Buffer.from(bytes))).toBe(true);
      const decoded = decodeFrame(frame);
      expect(decoded.ok && decoded.frame.type === 'sync-step2' && decoded.frame.update.byteLength).toBe(size);
      const found = frameAround(state);
      expect(found?.buffer).toBe(frame.buffer);
      expect(found?.byteLength).toBe(frame.byteLength);
    }
  });

  it('finds no frame around bytes that are not the end of one', () => {
    const plain = new Uint8Array([1, 2, 3, 4]);
    expect(frameAround(plain)).toBeNull();
    const { frame, state } = framedState(new Uint8Array(300).fill(9));
    // A view that stops short of the frame's end, or starts elsewhere in it.
    expect(frameAround(state.subarray(0, 299))).toBeNull();
    expect(frameAround(frame.subarray(5))).toBeNull();
    // The head of another frame type around the same bytes.
    const update = encode.syncUpdate(new Uint8Array(300).fill(9));
    expect(frameAround(update.subarray(update.byteLength - 300))).toBeNull();
    // A length that does not match the body.
    const forged = new Uint8Array(frame);
    forged[2] = (forged[2] as number) ^ 1;
    expect(frameAround(forged.subarray(frame.byteLength - 300))).toBeNull();
  });
});
