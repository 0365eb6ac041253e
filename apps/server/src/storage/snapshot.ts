import * as Y from 'yjs';
import type { StoredDoc } from './doc-store.js';

/** Builds a document from stored state (snapshot plus log); throws when Yjs rejects the stored bytes. */
export function docFromStored(stored: StoredDoc, guid = 'tandem'): Y.Doc {
  // An explicit guid: Yjs would otherwise draw a random one, ~30 crypto calls per document.
  const doc = new Y.Doc({ gc: true, guid });
  try {
    Y.transact(doc, () => {
      if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
      for (const { update } of stored.updates) Y.applyUpdate(doc, update);
    });
  } catch (err) {
    doc.destroy();
    throw err;
  }
  return doc;
}

/** A stored document merged into one update, with the state vector of the document it builds. */
export interface MergedDoc {
  /** The document's whole state as one update (deleted content garbage-collected). */
  readonly state: Uint8Array;
  /** Its state vector (Yjs encoding), as `Y.encodeStateVector` gives it for the built document. */
  readonly stateVector: Uint8Array;
  /**
   * Nothing of it waits in Yjs for missing history (no pending structs or deletions): the state
   * vector covers all of it, so updates checked against it may be appended to the bytes.
   */
  readonly complete: boolean;
}

/** `updates` as one update: the update itself when there is one, else merged by Yjs (no Y.Doc). */
export function mergeUpdates(updates: readonly Uint8Array[]): Uint8Array {
  return updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates as Uint8Array[]);
}

/** What a document with no stored state amounts to: the empty update and the empty state vector. */
export function emptyMerged(): MergedDoc {
  return { state: Uint8Array.of(0, 0), stateVector: Uint8Array.of(0), complete: true };
}

/** True when `stored` holds nothing: a document no one has written yet. */
export function isEmptyStored(stored: StoredDoc): boolean {
  return stored.snapshot === null && stored.updates.length === 0;
}

/**
 * The one update a stored document amounts to: what its document holds after applying all of it,
 * re-encoded (deleted content garbage-collected), and that document's state vector. Throws when
 * Yjs rejects the bytes.
 */
export function mergedOf(stored: StoredDoc, guid: string): MergedDoc {
  const doc = docFromStored(stored, guid);
  try {
    const complete = doc.store.pendingStructs === null && doc.store.pendingDs === null;
    return { state: Y.encodeStateAsUpdate(doc), stateVector: Y.encodeStateVector(doc), complete };
  } finally {
    doc.destroy();
  }
}
