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

/**
 * The one update a stored document amounts to: what its document holds after applying all of it,
 * re-encoded (deleted content garbage-collected). Throws when Yjs rejects the bytes.
 */
export function snapshotOf(stored: StoredDoc, guid: string): Uint8Array {
  const doc = docFromStored(stored, guid);
  try {
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
}
