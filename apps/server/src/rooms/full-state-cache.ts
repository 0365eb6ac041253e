import { encode } from '@tandem/protocol';
import * as Y from 'yjs';
import type { RoomDocument } from './room-document.js';

/**
 * Largest merged state answered with `Y.diffUpdate` rather than by building the Y.Doc. The diff
 * reads every struct of the bytes each time (10–25 ms for the bench's 10 MiB document, against
 * 0.5 ms from a built Y.Doc), so a large document is built once for all later joiners instead.
 */
export const DIFF_FROM_BYTES_MAX = 64 * 1024;

/** An empty state vector is the single byte 0 (no clients). */
function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.byteLength === 1 && stateVector[0] === 0;
}

/**
 * The whole document as one sync step 2 frame, built for the first joiner with an empty state
 * vector and shared by every other until the document changes: a crowd opening a large document
 * at once costs one encode, not one each — and none while the document is still its merged bytes.
 */
export class FullStateCache {
  private readonly document: RoomDocument;
  private cached: Uint8Array | null = null;

  /** Watches `document`: once its Y.Doc exists, any transaction outdates the cached frame. */
  constructor(document: RoomDocument) {
    this.document = document;
    const merged = document.mergedState;
    if (merged !== null) this.cached = encode.syncStep2(merged);
    document.onBuilt((doc) => doc.on('afterTransaction', this.forget));
  }

  /** The answer to a sync step 1: what the document holds beyond `stateVector` (SYNC-1). */
  syncStep2For(stateVector: Uint8Array): Uint8Array {
    if (!isEmptyStateVector(stateVector)) {
      // A small document still kept as bytes (a new one) answers from them: a joiner that brings
      // content of its own (offline edits, a reconnect) does not make the room build its Y.Doc.
      const merged = this.document.mergedState;
      const missing =
        merged !== null && merged.byteLength <= DIFF_FROM_BYTES_MAX
          ? Y.diffUpdate(merged, stateVector)
          : Y.encodeStateAsUpdate(this.document.doc, stateVector);
      return encode.syncStep2(missing);
    }
    this.cached ??= encode.syncStep2(Y.encodeStateAsUpdate(this.document.doc));
    return this.cached;
  }

  /** Any transaction (applied, pending or not) and any dropped pending update outdate the cached state. */
  readonly forget = (): void => {
    this.cached = null;
  };

  /** Stops watching the document. */
  dispose(): void {
    this.document.builtDoc?.off('afterTransaction', this.forget);
  }
}
