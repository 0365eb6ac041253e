import { CloseCode } from '@tandem/protocol';
import type { Logger } from 'pino';
import type { Fanout } from '../fanout/fanout.js';
import type { DocStore } from '../storage/doc-store.js';
import { docFromStored } from '../storage/snapshot.js';
import type { AutoVersions } from './auto-versions.js';
import type { Compactor } from './compactor.js';
import { subscribeEarly } from './early-subscription.js';
import { JoinError } from './join-error.js';
import type { PersistenceScheduler } from './persistence-scheduler.js';
import { Room } from './room.js';
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
  return (
    subscription.ready
      .then(() => deps.store.load(roomId))
      // Stored bytes Yjs cannot apply fail the load like an I/O error does.
      .then((stored) => ({ stored, doc: docFromStored(stored, roomId) }))
      .then(
        ({ stored, doc }) => {
          const room = new Room(roomId, doc, {
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
          deps.compactor.track(roomId, stored);
          deps.logger.info({ room: roomId, updates: stored.updates.length, ms: Date.now() - started }, 'room loaded');
          return room;
        },
        (err: unknown) => {
          subscription.close();
          deps.logger.error({ err, room: roomId }, 'room failed to load');
          throw new JoinError(CloseCode.internalError, 'document failed to load', { cause: err });
        },
      )
  );
}
