import { CloseCode } from '@tandem/protocol';
import type { DocStore } from './storage/doc-store.js';
import type { DocumentDirectory } from './storage/document-directory.js';
import type { VersionStore } from './storage/version-store.js';

/** Deletes one document everywhere it lives. */
export type DeleteDocument = (id: string) => Promise<void>;

/** What deleting a document touches. */
export interface DocumentDeletionDeps {
  /** Closes the document's room on this node, its sessions with 4404 (the registry's closeRoom). */
  readonly closeRoom: (id: string, code: number, reason: string) => Promise<void>;
  readonly store: Pick<DocStore, 'delete'>;
  readonly directory: Pick<DocumentDirectory, 'remove'>;
  /** Its version history goes with it. */
  readonly versions: Pick<VersionStore, 'deleteAllVersions'>;
}

/**
 * The one way a document is deleted (admin API and documents API alike): its room is closed first,
 * so no session writes into it while it goes (clients get 4404 and stop), then its stored state, its
 * title and its versions are removed.
 */
export function documentDeletion(deps: DocumentDeletionDeps): DeleteDocument {
  return async (id) => {
    await deps.closeRoom(id, CloseCode.documentDeleted, 'document deleted');
    await deps.store.delete(id);
    await deps.directory.remove(id);
    await deps.versions.deleteAllVersions(id);
  };
}
