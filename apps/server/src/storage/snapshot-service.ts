import type { MessagePort } from 'node:worker_threads';
import type { StoredDoc } from './doc-store.js';
import { framedState } from './framed-state.js';
import { type MergedDoc, mergedOf, mergeUpdates } from './snapshot.js';
import { errorOf, type WorkerReply } from './worker-thread.js';

/**
 * One request to the snapshot thread (snapshot-thread.ts posts these): a stored document to build
 * and encode, or updates to merge as bytes (no document built: a fraction of the time and memory).
 */
export type SnapshotRequest =
  | { readonly id: number; readonly stored: StoredDoc; readonly guid: string }
  | { readonly id: number; readonly merge: readonly Uint8Array[] };

/**
 * The snapshot thread's work (snapshot-worker.ts starts it): merges a stored document (snapshot
 * plus log) into one update and its state vector, the CPU part of a compaction or of a large
 * document's load, so neither the event loop nor the store's thread (whose commits acks wait for)
 * spends it. Requests run one at a time, in order.
 */
export function serveSnapshots(port: MessagePort): void {
  port.on('message', (request: SnapshotRequest) => {
    try {
      // Results come framed as a sync step 2 (framed-state.ts): the room answers joiners with the
      // frame, so the copy that framing costs is made here, not on the event loop, and only once.
      if ('merge' in request) {
        const { frame, state } = framedState(mergeUpdates(request.merge));
        port.postMessage({ id: request.id, ok: true, value: state } satisfies WorkerReply, [
          frame.buffer as ArrayBuffer,
        ]);
        return;
      }
      const merged = mergedOf(request.stored, request.guid);
      const { frame, state } = framedState(merged.state);
      const value: MergedDoc = { ...merged, state };
      port.postMessage({ id: request.id, ok: true, value } satisfies WorkerReply, [
        frame.buffer as ArrayBuffer,
        merged.stateVector.buffer as ArrayBuffer,
      ]);
    } catch (err) {
      port.postMessage({ id: request.id, ok: false, error: errorOf(err) } satisfies WorkerReply);
    }
  });
}
