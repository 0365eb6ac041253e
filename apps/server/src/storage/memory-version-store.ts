import {
  type AddedVersion,
  autoVersionTaken,
  isVersionId,
  mergeAuthors,
  type VersionRecord,
  type VersionStore,
} from './version-store.js';

interface Held {
  record: VersionRecord;
  readonly state: Uint8Array;
  readonly covers: string;
}

/** Versions in memory (tests, and the memory store). Not durable. */
export function createMemoryVersionStore(): VersionStore {
  const docs = new Map<string, Held[]>();
  let nextId = 1;
  let closed = false;
  const held = (docId: string): Held[] => {
    if (closed) throw new Error('memory version store is closed');
    return docs.get(docId) ?? [];
  };
  const find = (docId: string, id: string) => held(docId).find((h) => h.record.id === id);

  return {
    async addVersion(version, auto): Promise<AddedVersion> {
      const list = held(version.docId);
      if (auto !== undefined) {
        const newestAuto = list.findLast((h) => h.record.kind === 'auto');
        if (autoVersionTaken(list.at(-1), newestAuto?.record.createdAt, version, auto)) {
          return { created: false, version: newestAuto?.record ?? list.at(-1)?.record ?? null };
        }
      }
      const { state, covers, ...rest } = version;
      const record: VersionRecord = { ...rest, id: String(nextId++), bytes: state.byteLength };
      docs.set(version.docId, [...list, { record, state: state.slice(), covers }]);
      return { created: true, version: record };
    },
    async listVersions(docId, { limit, before }) {
      const older = held(docId)
        .filter((h) => before === undefined || Number(h.record.id) < Number(before))
        .reverse();
      const versions = older.slice(0, limit).map((h) => h.record);
      return { versions, next: older.length > limit ? (versions.at(-1)?.id ?? null) : null };
    },
    async getVersion(docId, id) {
      return isVersionId(id) ? (find(docId, id)?.record ?? null) : null;
    },
    async readVersionState(docId, id) {
      return find(docId, id)?.state.slice() ?? null;
    },
    async addAuthors(docId, id, authors) {
      const h = find(docId, id);
      if (h !== undefined) h.record = { ...h.record, authors: mergeAuthors(h.record.authors, authors) };
    },
    async versionTimeline(docId) {
      return held(docId).map(({ record: { id, kind, createdAt } }) => ({ id, kind, createdAt }));
    },
    async deleteVersions(docId, ids) {
      const list = held(docId);
      const gone = new Set(ids);
      const kept = list.filter((h) => !gone.has(h.record.id));
      docs.set(docId, kept);
      return list.length - kept.length;
    },
    async deleteAllVersions(docId) {
      held(docId);
      docs.delete(docId);
    },
    async close() {
      closed = true;
    },
  };
}
