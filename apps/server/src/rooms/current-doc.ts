import * as Y from 'yjs';
import type { DocStore } from '../storage/doc-store.js';
import { docFromStored } from '../storage/snapshot.js';
import type { RoomRegistry } from './room-registry.js';

/**
 * A copy of a document as it is now, to read without loading a room: the loaded room's document
 * (with edits the store has not taken yet) or the stored state. The caller destroys it.
 */
export async function currentDoc(
  registry: Pick<RoomRegistry, 'get'>,
  store: Pick<DocStore, 'load'>,
  id: string,
): Promise<Y.Doc> {
  const live = registry.get(id);
  if (live !== undefined) {
    const state = await live.settledState();
    const copy = new Y.Doc({ guid: id });
    Y.applyUpdate(copy, state);
    return copy;
  }
  return docFromStored(await store.load(id), id);
}
