import * as Y from 'yjs';
import { coversOf } from '../rooms/auto-versions.js';
import { restoreUpdate } from '../rooms/restore-diff.js';
import type { Room } from '../rooms/room.js';
import type { RoomRegistry } from '../rooms/room-registry.js';
import type { VersionAuthor, VersionReason, VersionRecord, VersionStore } from '../storage/version-store.js';

/** What {@link VersionService.restore} did. */
export interface Restored {
  readonly restored: VersionRecord;
  /** The implicit version of the content just before (VER-5). */
  readonly backup: VersionRecord;
}

/** The update a restore computed was refused by the room's update guard (e.g. too large). */
export class RestoreRefusedError extends Error {}

/** Named versions, restores and the implicit versions before them (VER-2, VER-5, VER-6). */
export interface VersionService {
  /** A named version of the current content, durable once resolved. */
  named(docId: string, label: string, by: VersionAuthor): Promise<VersionRecord>;
  /** An implicit version of the current content (before a restore or an import). */
  implicit(docId: string, reason: VersionReason, label: string, by: VersionAuthor): Promise<VersionRecord>;
  /**
   * Makes the document's content equal to `version`'s as a forward change through the room (live
   * members and other nodes receive it; stored like any edit), after an implicit backup. Resolves
   * null for an unknown version, once the change is durable otherwise.
   */
  restore(docId: string, versionId: string, by: VersionAuthor): Promise<Restored | null>;
}

/** Implicit versions' labels: what they were taken before. */
export function restoreLabel(version: VersionRecord): string {
  return `Before restoring ${version.label === null ? `the version of ${new Date(version.createdAt).toISOString()}` : JSON.stringify(version.label)}`;
}

export function createVersionService(deps: {
  readonly versions: VersionStore;
  readonly registry: Pick<RoomRegistry, 'withRoom'>;
  readonly now?: () => number;
}): VersionService {
  const now = deps.now ?? Date.now;
  const snapshotOf = async (
    room: Room,
    kind: 'named' | 'implicit',
    label: string,
    reason: VersionReason | null,
    by: VersionAuthor,
  ): Promise<VersionRecord> => {
    const state = await room.settledState();
    const fields = { state, covers: coversOf(room.stateVector()), createdAt: now() };
    const authors = room.takeVersionAuthors();
    const added = await deps.versions.addVersion({
      docId: room.id,
      kind,
      label,
      reason,
      authors,
      createdBy: by,
      ...fields,
    });
    return added.version as VersionRecord;
  };

  return {
    named: (docId, label, by) => deps.registry.withRoom(docId, (room) => snapshotOf(room, 'named', label, null, by)),
    implicit: (docId, reason, label, by) =>
      deps.registry.withRoom(docId, (room) => snapshotOf(room, 'implicit', label, reason, by)),
    async restore(docId, versionId, by) {
      const version = await deps.versions.getVersion(docId, versionId);
      const state = version === null ? null : await deps.versions.readVersionState(docId, versionId);
      if (version === null || state === null) return null;
      const target = new Y.Doc();
      try {
        Y.applyUpdate(target, state);
        return await deps.registry.withRoom(docId, async (room) => {
          const backup = await snapshotOf(room, 'implicit', restoreLabel(version), 'restore', by);
          // Computed against the room's state at this moment and applied at once (no await between).
          const verdict = await room.importUpdate(restoreUpdate(room.doc, target), by);
          if (!verdict.ok) throw new RestoreRefusedError(verdict.reason);
          return { restored: version, backup };
        });
      } finally {
        target.destroy();
      }
    },
  };
}
