import { CloseCode } from '@tandem/protocol';
import type { Deadline } from '../deadline.js';
import type { VersionAuthor } from '../storage/version-store.js';
import { JoinError } from './join-error.js';
import type { RoomMember } from './member.js';
import { type Closable, drainRooms, type ShutdownReport } from './registry-shutdown.js';
import type { ImportVerdict, Room } from './room.js';
import { loadRoom, type RoomLoaderDeps } from './room-loader.js';

export { JoinError } from './join-error.js';
export type { ShutdownReport } from './registry-shutdown.js';

/** What the registry needs: what loading a room needs, and the idle delay. */
export interface RoomRegistryDeps extends RoomLoaderDeps {
  /** How long a room with no members stays loaded. */
  readonly idleMs: number;
}

/** A loaded room as the admin API shows it. */
export interface RoomDescription {
  readonly id: string;
  readonly sessions: readonly {
    readonly id: string;
    readonly protocol: string;
    readonly user: string | null;
    readonly canWrite: boolean;
  }[];
}

/** Counters and gauges read by tests, health checks and (later) metrics. */
export interface RegistryStats {
  readonly rooms: number;
  readonly loading: number;
  readonly sessions: number;
  /** The largest outgoing buffer of any session right now. */
  readonly maxBufferedBytes: number;
  /** Completed loads since start. */
  readonly loads: number;
}

/** Loads rooms on first join (single-flight), unloads them when idle, drains them at shutdown. */
export interface RoomRegistry {
  /** Adds `session` to its room, loading the room first if needed. Rejects with {@link JoinError}. */
  join(session: RoomMember): Promise<Room>;
  /** Removes `session` from its room; an empty room unloads after the idle delay. */
  leave(session: RoomMember): void;
  /** The loaded room, if any. */
  get(roomId: string): Room | undefined;
  /**
   * Imports an update (admin API) through the room, as sessions write (OPS-6): loads the room
   * like a join does (single-flight), resolves once the update is stored or refused, and unloads
   * the room after the idle delay when nobody joined. Rejects with {@link JoinError} when the
   * room cannot be loaded or the server is shutting down.
   */
  importUpdate(roomId: string, update: Uint8Array, author?: VersionAuthor | null): Promise<ImportVerdict>;
  /**
   * Runs `work` on the room, loaded like an import loads it and held loaded until `work` settles.
   * `work` starts in the turn the shutdown check passed, so an update it computes from the room's
   * document and imports before its first await is applied against exactly that state and never
   * lost to a shutdown (the content API's conditional writes). Rejects like {@link importUpdate}.
   */
  withRoom<T>(roomId: string, work: (room: Room) => Promise<T> | T): Promise<T>;
  /** Closes a room's sessions with `code`, hands its pending updates to the store and unloads it. */
  closeRoom(roomId: string, code: number, reason: string): Promise<void>;
  /** The loaded rooms and their sessions (admin API). */
  describe(): RoomDescription[];
  /** Every member of every loaded room (access changes, REVOKE-3). */
  members(): Generator<RoomMember>;
  stats(): RegistryStats;
  /**
   * Drains by `deadline` (CONN-3, CONN-5): refuses joins, commits what is pending and sends its acks,
   * closes every room session and then `alsoClose` with 1012, waits for the closes (terminating the
   * rest at the deadline) while the store takes what came later, and unloads every room.
   */
  shutdown(deadline: Deadline, alsoClose?: Iterable<Closable>): Promise<ShutdownReport>;
}

interface Entry {
  room: Room | null;
  loading: Promise<Room> | null;
  idleTimer: NodeJS.Timeout | undefined;
  /** Imports under way: they hold the room loaded like sessions do. */
  imports: number;
  /** The turn the last joiner that waited for the load was let in (see {@link admitAfterLoad}). */
  admissions: Promise<void>;
}

/**
 * Joiners that waited for a room's load are let in one per event-loop turn, in the order they came,
 * instead of all in the turn the load ends: each joiner's first answer is the whole document, and
 * twenty 10 MB answers written in one turn held the event loop for 80–125 ms (the kernel copying
 * them into the sockets). Other rooms' traffic runs between the joiners.
 */
function admitAfterLoad(entry: Entry): Promise<void> {
  entry.admissions = turnAfter(entry.admissions);
  return entry.admissions;
}

/** An event-loop turn of its own, after `previous` (chaining these hands out turns one at a time, in order). */
function turnAfter(previous: Promise<void>): Promise<void> {
  return previous.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
}

/** Creates a registry. */
export function createRoomRegistry(deps: RoomRegistryDeps): RoomRegistry {
  const entries = new Map<string, Entry>();
  let shuttingDown = false;
  let loads = 0;
  // Rooms unload one per event-loop turn (see unloadIfIdle).
  let unloads: Promise<void> = Promise.resolve();

  const evict = (room: Room) => {
    const entry = entries.get(room.id);
    if (entry?.room !== room) return;
    clearTimeout(entry.idleTimer);
    entries.delete(room.id);
    deps.compactor.untrack(room.id);
    room.destroy(CloseCode.internalError, 'document could not be stored; reconnect to reload it');
  };

  const load = (roomId: string, entry: Entry): Promise<Room> => {
    const promise = loadRoom(deps, roomId, evict).then(
      (room) => {
        entry.room = room;
        entry.loading = null;
        loads++;
        return room;
      },
      (err: unknown) => {
        // Nothing is cached: the next join retries the load.
        entries.delete(roomId);
        throw err;
      },
    );
    entry.loading = promise;
    return promise;
  };

  /** The room's entry, its load started if needed (single-flight, ROOM-1); its idle unload is off. */
  const acquire = (roomId: string): Entry => {
    let entry = entries.get(roomId);
    if (entry === undefined) {
      entry = { room: null, loading: null, idleTimer: undefined, imports: 0, admissions: Promise.resolve() };
      entries.set(roomId, entry);
      load(roomId, entry);
    }
    clearTimeout(entry.idleTimer);
    return entry;
  };

  const scheduleUnload = (roomId: string, entry: Entry) => {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = setTimeout(() => void unloadIfIdle(roomId, entry), deps.idleMs);
    entry.idleTimer.unref();
  };

  const unloadIfIdle = async (roomId: string, entry: Entry) => {
    const room = entry.room;
    const busy = () => room === null || room.sessionCount > 0 || entry.imports > 0 || entries.get(roomId) !== entry;
    if (busy()) return;
    // Never drop what the store has not taken yet (ROOM-2); unloading itself writes nothing.
    await deps.persistence.flush();
    await deps.compactor.settled(roomId);
    // Rooms left at the same moment (a class ending, a mass reconnect elsewhere) go idle together,
    // and all their unloads would resume after the same flush: each takes its last version and
    // destroys its Y.Doc, and a hundred in one turn held the event loop for every other room.
    // Each unload gets an event-loop turn of its own instead.
    unloads = turnAfter(unloads);
    await unloads;
    if (room === null || busy()) return;
    entries.delete(roomId);
    deps.compactor.untrack(roomId);
    room.destroy();
    deps.logger.info({ room: roomId }, 'room unloaded');
  };

  /** After the fan-out may have lost messages: every loaded room exchanges state and rereads the store. */
  const resync = () => {
    for (const [roomId, entry] of entries) {
      const room = entry.room;
      if (room === null) continue;
      room.catchUp();
      deps.store.load(roomId).then(
        (stored) => {
          if (entries.get(roomId) === entry) room.applyStored(stored);
        },
        (err: unknown) => deps.logger.warn({ err, room: roomId }, 'could not reread the store after a fan-out outage'),
      );
    }
  };
  const stopResync = deps.fanout.onResync(resync);

  async function withRoom<T>(roomId: string, work: (room: Room) => Promise<T> | T): Promise<T> {
    if (shuttingDown) throw new JoinError(CloseCode.serviceRestart, 'server is shutting down');
    const entry = acquire(roomId);
    entry.imports++;
    try {
      const room = entry.room ?? (await (entry.loading as Promise<Room>));
      // Shutdown hands the store what is pending once; an update applied after that would be lost.
      if (shuttingDown) throw new JoinError(CloseCode.serviceRestart, 'server is shutting down');
      return await work(room);
    } finally {
      entry.imports--;
      const idle = entry.room !== null && entry.room.sessionCount === 0 && entry.imports === 0;
      if (idle && !shuttingDown && entries.get(roomId) === entry) scheduleUnload(roomId, entry);
    }
  }

  return {
    async join(session) {
      if (shuttingDown) throw new JoinError(CloseCode.serviceRestart, 'server is shutting down');
      const entry = acquire(session.roomId);
      let room = entry.room;
      if (room === null) {
        room = await (entry.loading as Promise<Room>);
        await admitAfterLoad(entry);
        // Unloaded while this joiner waited its turn (evicted, or its document closed): reconnect to reload it.
        if (entries.get(session.roomId)?.room !== room) {
          throw new JoinError(CloseCode.tryAgainLater, 'document was closed while it loaded; reconnect');
        }
      }
      if (shuttingDown) throw new JoinError(CloseCode.serviceRestart, 'server is shutting down');
      if (!session.isOpen) {
        if (room.sessionCount === 0) scheduleUnload(session.roomId, entry);
        return room;
      }
      room.add(session);
      return room;
    },
    leave(session) {
      const entry = entries.get(session.roomId);
      const room = entry?.room;
      if (entry === undefined || room == null) return;
      room.remove(session);
      if (room.sessionCount === 0 && !shuttingDown) scheduleUnload(session.roomId, entry);
    },
    get(roomId) {
      return entries.get(roomId)?.room ?? undefined;
    },
    importUpdate(roomId, update, author = null) {
      return withRoom(roomId, (room) => room.importUpdate(update, author));
    },
    withRoom,
    describe() {
      const out: RoomDescription[] = [];
      for (const [id, entry] of entries) {
        if (entry.room === null) continue;
        out.push({
          id,
          sessions: [...entry.room.allSessions()].map((s) => ({
            id: s.id,
            protocol: s.protocol,
            user: s.identity?.userId ?? null,
            canWrite: s.canWrite,
          })),
        });
      }
      return out;
    },
    *members() {
      for (const entry of entries.values()) if (entry.room !== null) yield* entry.room.allSessions();
    },
    async closeRoom(roomId, code, reason) {
      const entry = entries.get(roomId);
      if (entry === undefined) return;
      const room = entry.loading !== null ? await entry.loading.catch(() => null) : entry.room;
      if (room === null || entries.get(roomId) !== entry) return;
      clearTimeout(entry.idleTimer);
      entries.delete(roomId);
      for (const session of [...room.allSessions()]) session.close(code, reason);
      await deps.persistence.flush();
      await deps.compactor.settled(roomId);
      deps.compactor.untrack(roomId);
      room.destroy(code, reason);
      deps.logger.info({ room: roomId, code }, 'room closed');
    },
    stats() {
      let rooms = 0;
      let loading = 0;
      let sessions = 0;
      let maxBufferedBytes = 0;
      for (const entry of entries.values()) {
        if (entry.room === null) {
          loading++;
          continue;
        }
        rooms++;
        for (const session of entry.room.allSessions()) {
          sessions++;
          maxBufferedBytes = Math.max(maxBufferedBytes, session.bufferedAmount);
        }
      }
      return { rooms, loading, sessions, maxBufferedBytes, loads };
    },
    async shutdown(deadline, alsoClose = []) {
      // The order is CONN-3's; every wait takes what is left of the one deadline (CONN-5).
      shuttingDown = true;
      for (const entry of entries.values()) clearTimeout(entry.idleTimer);
      stopResync();
      const report = await drainRooms(entries, deps, deadline, alsoClose);
      entries.clear();
      return report;
    },
  };
}
