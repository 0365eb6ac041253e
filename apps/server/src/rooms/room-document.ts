import * as Y from 'yjs';
import { frameAround, framedState } from '../storage/framed-state.js';
import { ownBytes } from '../storage/owned-bytes.js';
import { type MergedDoc, mergeUpdates } from '../storage/snapshot.js';
import { type SnapshotBuilder, snapshotsHere } from '../storage/snapshot-thread.js';
import { spreadByName } from './spread-by-name.js';
import type { ClockRange } from './update-guard.js';

/** True for an update that carries no structs and no deletions: Yjs encodes it as the two bytes 0, 0. */
export function isEmptyUpdate(update: Uint8Array): boolean {
  return update.byteLength === 2 && update[0] === 0 && update[1] === 0;
}

/**
 * Up to this many bytes (merged plus appended) a document's appended updates are merged into its
 * bytes on the event loop (a few ms at most), once about {@link FOLD_UPDATES} wait; beyond, by the
 * {@link Merger} (the snapshot thread): merging a 10 MiB document's bytes takes 250–450 ms, and
 * a 2 MB document of 200,000 one-letter items as long, so a large document's batches are larger.
 */
export const MERGE_HERE_MAX_BYTES = 64 * 1024;
/**
 * A small document's appended updates are merged into its bytes once this many wait. Merging
 * costs about 20–25 µs per update from 16 to 256 updates (more per update beyond): batches of 64
 * hold the event loop 1–2 ms each, where 256 held it 5 ms.
 */
export const FOLD_UPDATES = 64;

/**
 * How many appended updates a small document folds at (see {@link FOLD_UPDATES}): from half to one
 * and a half times it, fixed per document by its name. Rooms written at the same pace would
 * otherwise all fold within the same few milliseconds, every {@link FOLD_UPDATES} updates, and
 * hold the event loop for all of them at once; the average batch stays {@link FOLD_UPDATES}.
 */
export function foldThreshold(guid: string): number {
  return spreadByName(guid, FOLD_UPDATES);
}
/**
 * A large document's are merged by the merger once this many wait: about 1 MB of small updates'
 * objects kept apart at most. Their bytes cost no more apart than merged, and a merge holds a
 * copy of all of them, and of the document, for its length (a document grown by 16 KB updates
 * while merging at every doubling held 40 MiB more RSS than without).
 */
export const MERGER_FOLD_UPDATES = 4096;

/** Merges a large document's updates into one, off the event loop where it can (the snapshot thread). */
export type Merger = Pick<SnapshotBuilder, 'merge'>;

/** What a version of the document is taken from: its whole state and its state vector. */
export interface DocumentState {
  /** The whole document as updates that together make it, read at once and merged by whoever needs one. */
  stateParts(): readonly Uint8Array[];
  /** Its state vector (Yjs encoding). */
  stateVector(): Uint8Array;
}

/**
 * A room's document: its merged bytes and the updates applied since (appended as they came,
 * checked against the state vector, never integrated), or a Y.Doc once something needs one —
 * an update built on history the room lacks (Yjs holds it pending, YJS-3), another node's update,
 * a reader of `doc`. Joining needs only the state vector and the whole state, and an edit only
 * the state vector its inspection reads: most rooms never build a Y.Doc, and a loaded document
 * costs its bytes, not the Y.Doc's objects (ten times its size and more). The appended updates
 * are merged into the bytes in batches: here for a small document, by the {@link Merger} for a
 * large one ({@link MERGE_HERE_MAX_BYTES}), while later updates keep being appended. The first use of `doc` builds it (one apply of the bytes
 * and the updates) and tells the listeners registered with {@link onBuilt}.
 */
export class RoomDocument implements DocumentState {
  private readonly guid: string;
  private built: Y.Doc | null;
  /** While not built: the state as of the last merge. */
  private merged: Uint8Array | null = null;
  /** The sync step 2 frame `merged` is the body of, once there is one (see {@link syncStep2}). */
  private mergedFrame: Uint8Array | null = null;
  /** While not built: the encoded state vector, null when the clocks changed since it was encoded. */
  private vector: Uint8Array | null;
  /** While not built: the next clock of each client, decoded from the vector on first read. */
  private clocks: Map<number, number> | null = null;
  /** Updates appended since the last merge, in order; null while there are none. */
  private appended: Uint8Array[] | null = null;
  private appendedBytes = 0;
  /** A small document's appended updates are folded once this many wait ({@link foldThreshold}). */
  private readonly foldAt: number;
  /** The bytes hold nothing Yjs would keep pending: updates may be appended to them. */
  private readonly complete: boolean;
  private readonly merger: Merger;
  /** The merge by the merger under way, if any. */
  private merging: Promise<void> | null = null;
  private readonly builtListeners: ((doc: Y.Doc) => void)[] = [];

  /** A document that is a Y.Doc from the start. */
  static of(doc: Y.Doc): RoomDocument {
    return new RoomDocument(doc.guid, doc, null);
  }

  /**
   * A document kept as `merged` until its Y.Doc is needed; that Y.Doc gets `guid`. A large one's
   * appended updates are merged into it by `merger` (default: here).
   */
  static fromMerged(guid: string, merged: MergedDoc, merger: Merger = snapshotsHere): RoomDocument {
    return new RoomDocument(guid, null, merged, merger);
  }

  private constructor(guid: string, doc: Y.Doc | null, merged: MergedDoc | null, merger: Merger = snapshotsHere) {
    this.guid = guid;
    this.foldAt = foldThreshold(guid);
    this.merger = merger;
    this.built = doc;
    this.setMerged(merged?.state ?? null);
    this.vector = merged?.stateVector ?? null;
    this.complete = merged?.complete ?? false;
  }

  /** Whether the Y.Doc exists yet. */
  get isBuilt(): boolean {
    return this.built !== null;
  }

  /** The Y.Doc if it exists, without building it. */
  get builtDoc(): Y.Doc | null {
    return this.built;
  }

  /** The Y.Doc, built from the bytes and the appended updates on first use (one synchronous apply each). */
  get doc(): Y.Doc {
    if (this.built !== null) return this.built;
    const doc = new Y.Doc({ gc: true, guid: this.guid });
    const { merged, appended } = this;
    Y.transact(doc, () => {
      Y.applyUpdate(doc, merged as Uint8Array);
      for (const update of appended ?? []) Y.applyUpdate(doc, update);
    });
    this.built = doc;
    this.setMerged(null);
    this.vector = null;
    this.clocks = null;
    this.appended = null;
    this.appendedBytes = 0;
    for (const listener of this.builtListeners.splice(0)) listener(doc);
    return doc;
  }

  /** Calls `listener` with the Y.Doc once it exists (at once when it already does). */
  onBuilt(listener: (doc: Y.Doc) => void): void {
    if (this.built !== null) listener(this.built);
    else this.builtListeners.push(listener);
  }

  /**
   * Whether an update may be appended to the bytes ({@link append}) rather than applied to a
   * Y.Doc: the document is still bytes, they hold nothing pending, and the update builds only on
   * what the document holds (`incomplete` is false: nothing of it would wait in Yjs).
   */
  canAppend(incomplete: boolean): boolean {
    return this.built === null && this.complete && !incomplete;
  }

  /**
   * Appends an update checked against the state vector (see {@link canAppend}); `covered` is
   * the clock range of each client's structs in it, which moves the state vector on.
   */
  append(update: Uint8Array, covered: ReadonlyMap<number, ClockRange>): void {
    const clocks = this.clockTable();
    for (const [client, range] of covered) {
      if (range.to > (clocks.get(client) ?? 0)) clocks.set(client, range.to);
    }
    this.vector = null;
    // A frame is a view into the socket's read buffer: keep a copy of it, not all of that.
    const own = ownBytes(update);
    if (this.appended === null) this.appended = [own];
    else this.appended.push(own);
    this.appendedBytes += own.byteLength;
    const waiting = this.appended.length;
    if (this.isSmall()) {
      if (waiting >= this.foldAt) this.fold();
    } else if (waiting >= MERGER_FOLD_UPDATES) {
      void this.foldByMerger();
    }
  }

  /**
   * The document's whole state as one update while the Y.Doc is not built (the appended updates
   * merged in now, on the event loop); null after.
   */
  get mergedState(): Uint8Array | null {
    if (this.built !== null) return null;
    this.fold();
    return this.merged;
  }

  /**
   * Whether a joiner's answer waits for the merger: the document is large and updates were
   * appended since its bytes were merged (merging them here would hold the event loop).
   */
  get mergeDue(): boolean {
    return this.merged !== null && this.appended !== null && !this.isSmall();
  }

  /** Resolves once the updates appended before the call are merged into the bytes, or the merge failed. */
  whenMerged(): Promise<void> {
    return this.mergeDue ? this.foldByMerger() : Promise.resolve();
  }

  /**
   * While the Y.Doc is not built: the merged bytes (a small document's appended updates merged in
   * first, here) and the updates appended since, merged into one (null when none); null once built.
   */
  joinState(): { readonly merged: Uint8Array; readonly appended: Uint8Array | null } | null {
    if (this.merged === null) return null;
    if (this.isSmall()) this.fold();
    return { merged: this.merged, appended: this.appended === null ? null : mergeUpdates(this.appended) };
  }

  /**
   * The merged bytes as a sync step 2 frame, the answer to a joiner with an empty state vector
   * (call while not built, after {@link joinState}). Bytes a thread merged come framed; others are
   * framed here on first use, and the frame's copy becomes the bytes the document keeps: a document
   * is held once, and answering more joiners copies nothing.
   */
  syncStep2(): Uint8Array {
    if (this.mergedFrame === null) {
      const { frame, state } = framedState(this.merged as Uint8Array);
      this.merged = state;
      this.mergedFrame = frame;
    }
    return this.mergedFrame;
  }

  private setMerged(merged: Uint8Array | null): void {
    this.merged = merged;
    this.mergedFrame = merged === null ? null : frameAround(merged);
  }

  /** Small enough (bytes merged plus appended) to be merged on the event loop. */
  private isSmall(): boolean {
    return (this.merged as Uint8Array).byteLength + this.appendedBytes <= MERGE_HERE_MAX_BYTES;
  }

  /** The document's whole state as one update, from the bytes or the Y.Doc, without building it. */
  wholeState(): Uint8Array {
    return this.mergedState ?? Y.encodeStateAsUpdate(this.doc);
  }

  /**
   * The whole state, in order: a small document's bytes with the appended updates merged in; a
   * large one's bytes and the updates appended since, as they are (merging them would cost the
   * event loop as long as they are large); the Y.Doc's encoding once built.
   */
  stateParts(): readonly Uint8Array[] {
    if (this.merged === null) return [Y.encodeStateAsUpdate(this.doc)];
    if (this.appended === null) return [this.merged];
    if (this.isSmall()) {
      this.fold();
      return [this.merged];
    }
    return [this.merged, ...this.appended];
  }

  /** The state vector (Yjs encoding), without building the Y.Doc. */
  stateVector(): Uint8Array {
    if (this.built !== null) return Y.encodeStateVector(this.built);
    this.vector ??= Y.encodeStateVector(this.clockTable());
    return this.vector;
  }

  /** The next clock of `client` (0 for a client never seen), without building the Y.Doc. */
  clockOf(client: number): number {
    if (this.built !== null) return Y.getState(this.built.store, client);
    return this.clockTable().get(client) ?? 0;
  }

  /** Destroys the Y.Doc if it was built; nothing is told of a Y.Doc built after this. */
  destroy(): void {
    this.builtListeners.length = 0;
    this.built?.destroy();
  }

  private clockTable(): Map<number, number> {
    this.clocks ??= Y.decodeStateVector(this.vector as Uint8Array);
    return this.clocks;
  }

  /** Merges the appended updates into the bytes, here. */
  private fold(): void {
    if (this.appended === null) return;
    this.setMerged(mergeUpdates([this.merged as Uint8Array, ...this.appended]));
    this.appended = null;
    this.appendedBytes = 0;
  }

  /**
   * Merges the updates appended so far into the bytes by the merger; updates appended meanwhile
   * stay appended. Nothing changes if the Y.Doc was built or the bytes merged here meanwhile.
   * A failed merge leaves the updates appended (the next batch tries again, or a reader merges
   * here). Resolves once it ended, either way; a merge under way is not started twice.
   */
  private foldByMerger(): Promise<void> {
    if (this.merging !== null) return this.merging;
    if (this.appended === null) return Promise.resolve();
    const base = this.merged as Uint8Array;
    const batch = this.appended;
    // The array grows while the merge runs: what it merges is what it holds now.
    const count = batch.length;
    const take = (merged: Uint8Array) => {
      if (this.merged !== base || this.appended !== batch) return;
      this.setMerged(merged);
      const rest = batch.slice(count);
      this.appended = rest.length > 0 ? rest : null;
      this.appendedBytes = rest.reduce((sum, u) => sum + u.byteLength, 0);
    };
    this.merging = this.merger
      .merge([base, ...batch])
      .then(take, () => {})
      .finally(() => {
        this.merging = null;
      });
    return this.merging;
  }
}
