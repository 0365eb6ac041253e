import { CloseCode } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import { documentDeletion } from './document-deletion.js';
import { createMemoryDocumentDirectory } from './storage/document-directory.js';
import { createMemoryDocStore } from './storage/memory-doc-store.js';
import { createMemoryVersionStore } from './storage/memory-version-store.js';

describe('document deletion', () => {
  it('DOCS-4/OPS-3: closes the room with 4404 before the stored state, the title and the versions (VER-1) go', async () => {
    const store = createMemoryDocStore();
    const directory = createMemoryDocumentDirectory();
    await store.append([{ docId: 'doomed', update: new Uint8Array([0, 0]) }]);
    await directory.create('doomed', 'Doomed');
    const versions = createMemoryVersionStore();
    await versions.addVersion({
      docId: 'doomed',
      kind: 'named',
      label: 'Kept until deletion',
      reason: null,
      createdAt: 0,
      authors: [],
      createdBy: null,
      state: new Uint8Array([0, 0]),
      covers: 'x',
    });
    const seen: string[] = [];
    const remove = documentDeletion({
      closeRoom: async (id, code, reason) => {
        // The room closes while the document still exists: no session writes into a deleted one.
        seen.push(`close ${id} ${code} ${reason} stored=${(await store.list()).includes(id)}`);
      },
      store,
      directory,
      versions,
    });
    await remove('doomed');
    expect(seen).toEqual([`close doomed ${CloseCode.documentDeleted} document deleted stored=true`]);
    expect(await store.list()).toEqual([]);
    expect(await directory.get('doomed')).toBe(null);
    expect(await versions.versionTimeline('doomed')).toEqual([]);
  });
});
