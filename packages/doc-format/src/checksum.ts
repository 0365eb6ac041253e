import { hash } from 'node:crypto';

/**
 * A 128-bit digest stored beside every blob (SQLite and Postgres alike), so a damaged row is
 * detected at load instead of applied: sha256, first 16 bytes.
 */
export function checksum(bytes: Uint8Array): Buffer {
  return hash('sha256', bytes, 'buffer').subarray(0, 16);
}

/** True when `sum` is the checksum of `bytes`; false for a missing sum. */
export function matchesChecksum(bytes: Uint8Array, sum: Uint8Array | null | undefined): boolean {
  return sum != null && checksum(bytes).equals(sum);
}
