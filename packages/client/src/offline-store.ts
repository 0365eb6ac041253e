import { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';

/** The document's local copy in IndexedDB (browsers): offline edits survive a reload. */
export interface OfflineStore {
  /** Resolves once the stored copy has been loaded into the document. */
  readonly loaded: Promise<void>;
  destroy(): Promise<void>;
}

/** Starts y-indexeddb for `doc` under `name`; null where IndexedDB does not exist (Node). */
export function startOfflineStore(name: string, doc: Y.Doc): OfflineStore | null {
  if (typeof (globalThis as { indexedDB?: unknown }).indexedDB === 'undefined') return null;
  const persistence = new IndexeddbPersistence(name, doc);
  return {
    loaded: persistence.whenSynced.then(() => undefined),
    destroy: () => persistence.destroy(),
  };
}
