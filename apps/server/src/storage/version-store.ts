/** How a version came to be. */
export type VersionKind = 'auto' | 'named' | 'implicit';

/** Why an implicit version was taken. */
export type VersionReason = 'restore' | 'import';

/** Someone who wrote into, named or restored a version (open mode: `{ userId: null, name: 'anonymous' }`). */
export interface VersionAuthor {
  readonly userId: string | null;
  readonly name: string;
}

/** A stored version's description (its state is read separately: it can be large). */
export interface VersionRecord {
  /** Opaque, URL-safe; newer versions of a document have larger ids (the list's order). */
  readonly id: string;
  readonly docId: string;
  readonly kind: VersionKind;
  readonly label: string | null;
  readonly reason: VersionReason | null;
  /** ms since the epoch. */
  readonly createdAt: number;
  /** Size of the stored state (one encoded Yjs update). */
  readonly bytes: number;
  /** Who wrote since the previous version: distinct, in first-write order. */
  readonly authors: readonly VersionAuthor[];
  /** Who named it or restored (named and implicit versions); null for automatic ones. */
  readonly createdBy: VersionAuthor | null;
}

/** A version to store. */
export interface NewVersion {
  readonly docId: string;
  readonly kind: VersionKind;
  readonly label: string | null;
  readonly reason: VersionReason | null;
  readonly createdAt: number;
  readonly authors: readonly VersionAuthor[];
  readonly createdBy: VersionAuthor | null;
  /** The document's whole state as one Yjs update. */
  readonly state: Uint8Array;
  /** What the version covers (a digest of its state vector): two nodes taking the same state agree on it. */
  readonly covers: string;
}

/**
 * When an automatic version is not stored (VER-4, VER-12): the document's newest version already
 * covers the same state, or an automatic version was taken at or after `since` (by another node).
 */
export interface AutoVersionCondition {
  readonly since: number;
}

/** What {@link VersionStore.addVersion} did. */
export type AddedVersion =
  | { readonly created: true; readonly version: VersionRecord }
  /** An automatic version was not needed: `version` is the one that already covers it (null: none). */
  | { readonly created: false; readonly version: VersionRecord | null };

/** One page of a document's versions, newest first. */
export interface VersionPage {
  readonly versions: readonly VersionRecord[];
  /** Cursor of the next (older) page; null at the end. */
  readonly next: string | null;
}

/** A version's place in the timeline, as retention reads it. */
export type VersionTime = Pick<VersionRecord, 'id' | 'kind' | 'createdAt'>;

/**
 * Durable versions of documents, beside the {@link DocStore} (memory, SQLite, Postgres). Dumb
 * storage: when to take a version and what to thin lives in rooms/ and retention.ts.
 */
export interface VersionStore {
  /**
   * Stores a version, durable once resolved. With `auto` (automatic versions only) the insert is
   * conditional and atomic across nodes sharing the store: see {@link AutoVersionCondition}.
   */
  addVersion(version: NewVersion, auto?: AutoVersionCondition): Promise<AddedVersion>;
  /** Newest first; `before` is a cursor from a previous page. */
  listVersions(docId: string, page: { readonly limit: number; readonly before?: string }): Promise<VersionPage>;
  getVersion(docId: string, id: string): Promise<VersionRecord | null>;
  /** The version's state (one Yjs update), or null when unknown. Rejects when it fails its checksum. */
  readVersionState(docId: string, id: string): Promise<Uint8Array | null>;
  /** Adds authors a version does not list yet (a node whose automatic version another node took first). */
  addAuthors(docId: string, id: string, authors: readonly VersionAuthor[]): Promise<void>;
  /** Every version's id, kind and time, oldest first (for retention). */
  versionTimeline(docId: string): Promise<VersionTime[]>;
  /** Removes versions; resolves how many existed. */
  deleteVersions(docId: string, ids: readonly string[]): Promise<number>;
  /** Removes every version of a document (when the document is deleted). */
  deleteAllVersions(docId: string): Promise<void>;
  close(): Promise<void>;
}

/** Whether two authors are the same person: by user id, or by name for anonymous ones. */
export function sameAuthor(a: VersionAuthor, b: VersionAuthor): boolean {
  return a.userId === null ? b.userId === null && a.name === b.name : a.userId === b.userId;
}

/** Authors of `current` followed by those of `more` it lacks (by user id, or by name for anonymous ones). */
export function mergeAuthors(
  current: readonly VersionAuthor[],
  more: readonly VersionAuthor[],
): readonly VersionAuthor[] {
  const key = (a: VersionAuthor) => (a.userId === null ? `name:${a.name}` : `user:${a.userId}`);
  const seen = new Set(current.map(key));
  const out = [...current];
  for (const author of more) {
    if (seen.has(key(author))) continue;
    seen.add(key(author));
    out.push(author);
  }
  return out;
}

/** Whether a version id has the stores' shape (a positive integer): anything else cannot exist. */
export function isVersionId(id: string): boolean {
  return /^[1-9][0-9]{0,15}$/.test(id);
}

/** An automatic version is skipped when one covering the same state is newest, or one is recent. */
export function autoVersionTaken(
  newest: { readonly covers: string } | undefined,
  newestAutoAt: number | undefined,
  version: NewVersion,
  auto: AutoVersionCondition,
): boolean {
  return newest?.covers === version.covers || (newestAutoAt !== undefined && newestAutoAt >= auto.since);
}
