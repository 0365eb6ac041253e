import { encode } from '@tandem/protocol';
import * as Y from 'yjs';

/**
 * The whole document as one sync step 2 frame, built for the first joiner with an empty state
 * vector and shared by every other until the document changes: a crowd opening a large document
 * at once costs one encode, not one each.
 */
export class FullStateCache {
  private readonly doc: Y.Doc;
  private cached: Uint8Array | null = null;

  /** Watches `doc`: any transaction outdates the cached frame. */
  constructor(doc: Y.Doc) {
    this.doc = doc;
    doc.on('afterTransaction', this.forget);
  }

  /** The answer to a sync step 1: what the document holds beyond `stateVector` (SYNC-1). */
  syncStep2For(stateVector: Uint8Array): Uint8Array {
    // An empty state vector is the single byte 0 (no clients).
    if (stateVector.byteLength !== 1 || stateVector[0] !== 0) {
      return encode.syncStep2(Y.encodeStateAsUpdate(this.doc, stateVector));
    }
    this.cached ??= encode.syncStep2(Y.encodeStateAsUpdate(this.doc));
    return this.cached;
  }

  /** Any transaction (applied, pending or not) and any dropped pending update outdate the cached state. */
  readonly forget = (): void => {
    this.cached = null;
  };

  /** Stops watching the document. */
  dispose(): void {
    this.doc.off('afterTransaction', this.forget);
  }
}
