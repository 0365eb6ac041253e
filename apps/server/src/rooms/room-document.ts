import * as Y from 'yjs';
import type { MergedDoc } from '../storage/snapshot.js';

/** True for an update that carries no structs and no deletions: Yjs encodes it as the two bytes 0, 0. */
export function isEmptyUpdate(update: Uint8Array): boolean {
  return update.byteLength === 2 && update[0] === 0 && update[1] === 0;
}

/**
 * A room's document: a Y.Doc, or — for a large document loaded from its merged bytes — those
 * bytes and their state vector until something needs the Y.Doc (an edit, a joiner with content,
 * another node's update, a reader of `doc`). Joining needs only the state vector and the whole
 * state, so a crowd opening a large document costs the event loop no Yjs work at all; the first
 * use of `doc` builds it (one apply) and tells the listeners registered with {@link onBuilt}.
 */
export class RoomDocument {
  private readonly guid: string;
  private built: Y.Doc | null;
  private merged: MergedDoc | null;
  private clocks: Map<number, number> | null = null;
  private readonly builtListeners: ((doc: Y.Doc) => void)[] = [];

  /** A document that is a Y.Doc from the start. */
  static of(doc: Y.Doc): RoomDocument {
    return new RoomDocument(doc.guid, doc, null);
  }

  /** A document kept as `merged` until its Y.Doc is needed; that Y.Doc gets `guid`. */
  static fromMerged(guid: string, merged: MergedDoc): RoomDocument {
    return new RoomDocument(guid, null, merged);
  }

  private constructor(guid: string, doc: Y.Doc | null, merged: MergedDoc | null) {
    this.guid = guid;
    this.built = doc;
    this.merged = merged;
  }

  /** Whether the Y.Doc exists yet. */
  get isBuilt(): boolean {
    return this.built !== null;
  }

  /** The Y.Doc if it exists, without building it. */
  get builtDoc(): Y.Doc | null {
    return this.built;
  }

  /** The Y.Doc, built from the merged bytes on first use (one synchronous apply). */
  get doc(): Y.Doc {
    if (this.built !== null) return this.built;
    const merged = this.merged as MergedDoc;
    const doc = new Y.Doc({ gc: true, guid: this.guid });
    Y.applyUpdate(doc, merged.state);
    this.built = doc;
    this.merged = null;
    this.clocks = null;
    for (const listener of this.builtListeners.splice(0)) listener(doc);
    return doc;
  }

  /** Calls `listener` with the Y.Doc once it exists (at once when it already does). */
  onBuilt(listener: (doc: Y.Doc) => void): void {
    if (this.built !== null) listener(this.built);
    else this.builtListeners.push(listener);
  }

  /** The document's whole state as one update while the Y.Doc is not built; null after. */
  get mergedState(): Uint8Array | null {
    return this.merged?.state ?? null;
  }

  /** The state vector (Yjs encoding), without building the Y.Doc. */
  stateVector(): Uint8Array {
    return this.merged?.stateVector ?? Y.encodeStateVector(this.doc);
  }

  /** The next clock of `client` (0 for a client never seen), without building the Y.Doc. */
  clockOf(client: number): number {
    if (this.built !== null || this.merged === null) return Y.getState(this.doc.store, client);
    this.clocks ??= Y.decodeStateVector(this.merged.stateVector);
    return this.clocks.get(client) ?? 0;
  }

  /** Destroys the Y.Doc if it was built; nothing is told of a Y.Doc built after this. */
  destroy(): void {
    this.builtListeners.length = 0;
    this.built?.destroy();
  }
}
