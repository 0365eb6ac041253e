/** What a store holds for one document: an optional compacted snapshot plus the update log after it. */
export interface StoredDoc {
  /** Merged state of every update up to `snapshotSeq`, or null when never compacted. */
  readonly snapshot: Uint8Array | null;
  /** Updates after the snapshot, in the order they were appended. */
  readonly updates: readonly StoredUpdate[];
}

/** One entry of a document's update log. */
export interface StoredUpdate {
  /** Position in the document's log; strictly increasing per document. */
  readonly seq: number;
  readonly update: Uint8Array;
}

/** One update to append, for one document. */
export interface AppendEntry {
  readonly docId: string;
  readonly update: Uint8Array;
}

/**
 * Dumb durable storage keyed by document. Policy (when to commit, when to compact,
 * when to unload) lives in rooms/, not here.
 */
export interface DocStore {
  /** Loads a document; an unknown document is an empty one. Rejects when stored data cannot be read. */
  load(docId: string): Promise<StoredDoc>;
  /** Appends every entry in one transaction (entries may span documents); resolves once durable. */
  append(entries: readonly AppendEntry[]): Promise<void>;
  /**
   * Replaces the snapshot and every logged update with seq <= `throughSeq` by `snapshot`, atomically.
   * Does nothing when the stored snapshot already covers a later position (a stale compaction).
   * `snapshot` is handed over: a store may take its buffer (detached afterwards) instead of copying it.
   */
  compact(docId: string, snapshot: Uint8Array, throughSeq: number): Promise<void>;
  /** Removes a document entirely. */
  delete(docId: string): Promise<void>;
  /** Ids of every stored document. */
  list(): Promise<string[]>;
  /** Resolves when the store can serve requests (used by /readyz); rejects with the reason otherwise. */
  check(): Promise<void>;
  /** Releases the store's resources; nothing may be called afterwards. */
  close(): Promise<void>;
}
