import { MessageChannel } from 'node:worker_threads';

/** Whether `bytes` spans its whole buffer, so the buffer can move to another thread taking nothing else along. */
export function spansBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

/**
 * `bytes` as memory of its own: the same bytes when they span their buffer, else a copy. A view
 * into a larger buffer (a socket read, a pooled or driver buffer) would keep all of it alive and
 * could not be transferred alone.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return spansBuffer(bytes) ? new Uint8Array(bytes.buffer, 0, bytes.byteLength) : bytes.slice();
}

/**
 * The buffers of `parts` a message can transfer instead of copying: those each part spans, once
 * each. A transferred buffer is detached from the sender: hand over only bytes it no longer needs.
 */
export function transferableBuffers(parts: Iterable<Uint8Array | null>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const part of parts) {
    if (part !== null && spansBuffer(part) && part.buffer instanceof ArrayBuffer) buffers.add(part.buffer);
  }
  return [...buffers];
}

/**
 * Frees the buffer under `bytes` now (all of it) instead of at the thread's next full GC, which a
 * thread that allocates little (the store's) may not run for minutes: the buffer is transferred
 * into a message on a channel closed at once, and the dropped message frees it. Only for a buffer
 * nothing else uses, such as a received message's own: every view of it is empty afterwards.
 */
export function releaseNow(bytes: Uint8Array): void {
  if (!(bytes.buffer instanceof ArrayBuffer) || bytes.buffer.byteLength === 0) return;
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, [bytes.buffer]);
  port1.close();
  port2.close();
}
