import type { AppendEntry, DocStore, StoredDoc, StoredUpdate } from './doc-store.js';

interface MemoryDoc {
  snapshot: Uint8Array | null;
  snapshotSeq: number;
  updates: StoredUpdate[];
  nextSeq: number;
}

/** An in-memory DocStore: the default until durable storage lands, and for tests. Not durable. */
export function createMemoryDocStore(): DocStore {
  const docs = new Map<string, MemoryDoc>();
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new Error('memory store is closed');
  };
  const docFor = (docId: string): MemoryDoc => {
    let doc = docs.get(docId);
    if (doc === undefined) {
      doc = { snapshot: null, snapshotSeq: 0, updates: [], nextSeq: 1 };
      docs.set(docId, doc);
    }
    return doc;
  };

  return {
    async load(docId): Promise<StoredDoc> {
      ensureOpen();
      const doc = docs.get(docId);
      if (doc === undefined) return { snapshot: null, updates: [] };
      return {
        snapshot: doc.snapshot?.slice() ?? null,
        updates: doc.updates.map((u) => ({ ...u, update: u.update.slice() })),
      };
    },
    async append(entries: readonly AppendEntry[]) {
      ensureOpen();
      for (const { docId, update } of entries) {
        const doc = docFor(docId);
        doc.updates.push({ seq: doc.nextSeq++, update: update.slice() });
      }
    },
    async compact(docId, snapshot, throughSeq) {
      ensureOpen();
      const doc = docFor(docId);
      // A stale compaction never rolls a newer snapshot back (CLUSTER-5).
      if (doc.snapshotSeq > throughSeq) return;
      doc.snapshot = snapshot.slice();
      doc.snapshotSeq = throughSeq;
      doc.updates = doc.updates.filter((u) => u.seq > throughSeq);
    },
    async delete(docId) {
      ensureOpen();
      docs.delete(docId);
    },
    async list() {
      ensureOpen();
      return [...docs.keys()];
    },
    async check() {
      ensureOpen();
    },
    async close() {
      closed = true;
    },
  };
}
