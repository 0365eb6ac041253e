import { hash } from 'node:crypto';

/** A 128-bit digest stored beside every blob, so a damaged row is detected at load instead of applied. */
export function checksum(bytes: Uint8Array): Buffer {
  return hash('sha256', bytes, 'buffer').subarray(0, 16);
}

/** Raised when stored bytes no longer match their checksum (or cannot be read at all). */
export class CorruptDataError extends Error {
  override readonly name = 'CorruptDataError';
}
