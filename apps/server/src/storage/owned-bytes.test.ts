import { waitFor } from '@tandem/test-utils';
import { describe, expect, it } from 'vitest';
import { ownBytes, releaseNow, spansBuffer, transferableBuffers } from './owned-bytes.js';

describe('owned bytes', () => {
  it('keeps bytes that span their buffer without a copy and copies a view into a larger one', () => {
    const whole = new Uint8Array([1, 2, 3]);
    const own = ownBytes(whole);
    expect(own.buffer).toBe(whole.buffer);
    expect([...own]).toEqual([1, 2, 3]);

    const view = new Uint8Array(new ArrayBuffer(64), 8, 3);
    view.set([4, 5, 6]);
    expect(spansBuffer(view)).toBe(false);
    const copy = ownBytes(view);
    expect(copy.buffer).not.toBe(view.buffer);
    expect(spansBuffer(copy)).toBe(true);
    expect([...copy]).toEqual([4, 5, 6]);
  });

  it('transfers only buffers a part spans, each once, and skips nulls', () => {
    const a = new Uint8Array([1]);
    const b = new Uint8Array([2, 3]);
    const view = new Uint8Array(new ArrayBuffer(16), 4, 4);
    const buffers = transferableBuffers([a, null, b, new Uint8Array(a.buffer), view]);
    expect(buffers).toEqual([a.buffer, b.buffer]);
    // A message can carry them: no buffer twice, none shared with bytes kept.
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage({ a, b }, buffers);
      expect(a.byteLength).toBe(0);
      expect(b.byteLength).toBe(0);
      expect(view.byteLength).toBe(4);
    } finally {
      port1.close();
      port2.close();
    }
  });

  it('releaseNow frees a large buffer without waiting for a GC, all of it under a view', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const big = new Uint8Array(64 * 2 ** 20).fill(7);
    // Counted (half of it at least: a GC between the two reads may free other, unrelated buffers;
    // in CI one freed 3.9 KB and failed an exact bound).
    expect(process.memoryUsage().arrayBuffers).toBeGreaterThanOrEqual(before + big.byteLength / 2);
    releaseNow(big);
    expect(big.byteLength).toBe(0);
    // `big` is still referenced here: only the release can have freed its memory.
    await waitFor(() => process.memoryUsage().arrayBuffers < before + 32 * 2 ** 20, {
      what: 'the released buffer to be freed',
    });
    expect(big.byteLength).toBe(0);

    // A view (a framed state, say) frees the whole buffer under it.
    const buffer = new ArrayBuffer(32);
    const view = new Uint8Array(buffer, 4, 8);
    releaseNow(view);
    expect(view.byteLength).toBe(0);
    expect(buffer.byteLength).toBe(0);
  });
});
