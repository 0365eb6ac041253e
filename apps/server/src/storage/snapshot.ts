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
}

/**
 * The one update a stored document amounts to: what its document holds after applying all of it,
 * re-encoded (deleted content garbage-collected), and that document's state vector. Throws when
 * Yjs rejects the bytes.
 */
/** What a document with no stored state amounts to: the empty update and the empty state vector. */
export function emptyMerged(): MergedDoc {
  return { state: Uint8Array.of(0, 0), stateVector: Uint8Array.of(0) };
}

/** True when `stored` holds nothing: a document no one has written yet. */
export function isEmptyStored(stored: StoredDoc): boolean {
  return stored.snapshot === null && stored.updates.length === 0;
}

export function mergedOf(stored: StoredDoc, guid: string): MergedDoc {
  const doc = docFromStored(stored, guid);
  try {
    return { state: Y.encodeStateAsUpdate(doc), stateVector: Y.encodeStateVector(doc) };
  } finally {
    doc.destroy();
  }
}
