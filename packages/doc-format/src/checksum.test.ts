import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checksum, matchesChecksum } from './checksum.js';

describe('checksum', () => {
  it('is the first 16 bytes of the sha256 of the blob', () => {
    const bytes = Uint8Array.of(1, 2, 3, 250);
    expect(checksum(bytes)).toHaveLength(16);
    expect(checksum(bytes).equals(createHash('sha256').update(bytes).digest().subarray(0, 16))).toBe(true);
  });

  it('tells a damaged blob, or a missing sum, from an intact one', () => {
    const bytes = Uint8Array.of(9, 8, 7);
    const sum = checksum(bytes);
    expect(matchesChecksum(bytes, sum)).toBe(true);
    expect(matchesChecksum(Uint8Array.of(9, 8, 6), sum)).toBe(false);
    expect(matchesChecksum(bytes, null)).toBe(false);
    expect(matchesChecksum(bytes, undefined)).toBe(false);
  });
});
