/** What the document list shows about one document. */
export interface DocumentInfo {
  readonly id: string;
  readonly title: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Titles and timestamps of the documents people created through the app. Content lives in
 * the DocStore; this is the index the document list reads without loading any document.
 */
export interface DocumentDirectory {
  /** Every entry, most recently updated first. */
  list(): Promise<DocumentInfo[]>;
  get(id: string): Promise<DocumentInfo | null>;
  /** Adds an entry; rejects if the id exists. */
  create(id: string, title: string): Promise<DocumentInfo>;
  /** Renames; resolves null when the id is unknown. */
  rename(id: string, title: string): Promise<DocumentInfo | null>;
  /** Removes an entry; resolves false when the id is unknown. */
  remove(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** An in-memory directory (tests, and the memory store). */
export function createMemoryDocumentDirectory(now: () => Date = () => new Date()): DocumentDirectory {
  const entries = new Map<string, DocumentInfo>();
  return {
    async list() {
      return [...entries.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    },
    async get(id) {
      return entries.get(id) ?? null;
    },
    async create(id, title) {
      if (entries.has(id)) throw new Error(`document ${id} exists`);
      const at = now().toISOString();
      const info = { id, title, createdAt: at, updatedAt: at };
      entries.set(id, info);
      return info;
    },
    async rename(id, title) {
      const current = entries.get(id);
      if (current === undefined) return null;
      const info = { ...current, title, updatedAt: now().toISOString() };
      entries.set(id, info);
      return info;
    },
    async remove(id) {
      return entries.delete(id);
    },
    async close() {},
  };
}
