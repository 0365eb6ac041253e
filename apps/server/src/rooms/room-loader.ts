import { CloseCode } from '@tandem/protocol';
import type { Logger } from 'pino';
import type { Fanout } from '../fanout/fanout.js';
import type { DocStore, StoredDoc } from '../storage/doc-store.js';
import { emptyMerged, isEmptyStored, mergedOf } from '../storage/snapshot.js';
import type { SnapshotBuilder } from '../storage/snapshot-thread.js';
import type { AutoVersions } from './auto-versions.js';
import { type Compactor, type StoredLog, storedLogOf } from './compactor.js';
import { subscribeEarly } from './early-subscription.js';
import { JoinError } from './join-error.js';
import type { PersistenceScheduler } from './persistence-scheduler.js';
import { Room } from './room.js';
import { RoomDocument } from './room-document.js';
import type { WritePolicy } from './write-policy.js';

/** What loading a room needs. */
export interface RoomLoaderDeps {
  readonly store: DocStore;
  readonly fanout: Fanout;
  readonly persistence: PersistenceScheduler;
  readonly compactor: Compactor;
  readonly logger: Logger;
  /** Presence from another node expires after this long without renewal (default 30 s). */
  readonly awarenessTimeoutMs?: number;
  /** What members may write into rooms (defaults apply without it). */
  readonly writePolicy?: WritePolicy;
  /** Takes automatic versions of loaded rooms (VER-3); without it, none. */
  readonly versions?: AutoVersions;
  /**
   * Merges large stored documents off the event loop when they load (see {@link
   * PREPARED_LOAD_BYTES}); without it every document is merged here.
   */
  readonly snapshots?: SnapshotBuilder;
  /** Stored size from which a load is prepared by {@link snapshots} (default {@link PREPARED_LOAD_BYTES}). */
  readonly preparedLoadBytes?: number;
}

/**
 * From this stored size (snapshot plus log) a document's load is prepared on the snapshot thread:
 * it merges the log into the document's whole state and state vector, which the room keeps as
 * bytes (see {@link RoomDocument}). A crowd opening a 9.6 MiB document then costs the event loop
 * no apply and no full encode (a few hundred ms each); below this size both take a few ms and are
 * done here: the thread's round trip is not worth it.
 */
export const PREPARED_LOAD_BYTES = 256 * 1024;

function storedBytes(stored: StoredDoc): number {
  let bytes = stored.snapshot?.byteLength ?? 0;
  for (const { update } of stored.updates) bytes += update.byteLength;
  return bytes;
}

/** The stored document's log and the room's document made from it: merged off the event loop when large. */
async function readStored(deps: RoomLoaderDeps, roomId: string): Promise<{ log: StoredLog; document: RoomDocument }> {
  const stored = await deps.store.load(roomId);
  // Counted before a build takes the bytes over.
  const log = storedLogOf(stored);
  // A new document is kept as its (empty) bytes too.
  const { snapshots } = deps;
  if (isEmptyStored(stored)) return { log, document: RoomDocument.fromMerged(roomId, emptyMerged(), snapshots) };
  if (snapshots === undefined || storedBytes(stored) < (deps.preparedLoadBytes ?? PREPARED_LOAD_BYTES)) {
    // Merged here (a few ms at most); stored bytes Yjs cannot apply fail the load like an I/O error does.
    return { log, document: RoomDocument.fromMerged(roomId, mergedOf(stored, roomId), snapshots) };
  }
  return { log, document: RoomDocument.fromMerged(roomId, await snapshots.build(stored, roomId), snapshots) };
}

/**
 * Loads `roomId` from the store into a new room, caught up with the other nodes and tracked by
 * the compactor. A failure caches nothing and rejects with {@link JoinError} (1011): a failed
 * load never yields a blank document that could later overwrite stored data.
 */
export function loadRoom(deps: RoomLoaderDeps, roomId: string, onFailed: (room: Room) => void): Promise<Room> {
  const started = Date.now();
  // Subscribe before reading the store, so nothing published meanwhile is missed (join without gaps).
  const subscription = subscribeEarly(deps.fanout, roomId);
  return subscription.ready
    .then(() => readStored(deps, roomId))
    .then(
      ({ log, document }) => {
        const room = new Room(roomId, document, {
          fanout: deps.fanout,
          persistence: deps.persistence,
          compactor: deps.compactor,
          logger: deps.logger,
          onFailed,
          subscription,
          ...(deps.awarenessTimeoutMs === undefined ? {} : { awarenessTimeoutMs: deps.awarenessTimeoutMs }),
          ...(deps.writePolicy === undefined ? {} : { writePolicy: deps.writePolicy }),
          ...(deps.versions === undefined ? {} : { versions: deps.versions }),
        });
        // Another node may have relayed an update before our subscription and not committed it yet.
        room.catchUp();
        deps.compactor.track(roomId, log);
        deps.logger.info(
          { room: roomId, updates: log.updates, ms: Date.now() - started, asBytes: !room.docBuilt },
          'room loaded',
        );
        return room;
      },
      (err: unknown) => {
        subscription.close();
        deps.logger.error({ err, room: roomId }, 'room failed to load');
        throw new JoinError(CloseCode.internalError, 'document failed to load', { cause: err });
      },
    );
}
