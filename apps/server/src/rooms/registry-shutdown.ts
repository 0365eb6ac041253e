import { CloseCode } from '@tandem/protocol';
import type { Logger } from 'pino';
import type { Deadline } from '../deadline.js';
import type { Compactor } from './compactor.js';
import type { RoomMember } from './member.js';
import type { PersistenceScheduler } from './persistence-scheduler.js';
import type { Room } from './room.js';

/** What a shutdown left behind. */
export interface ShutdownReport {
  /** Updates the store had not taken by the deadline; never acked, so their clients still hold them. */
  readonly unstored: number;
  /** The loaded documents those updates belong to. */
  readonly documents: readonly string[];
}

/** What the drain closes: room members, and connections not bound to one room (multiplexed carriers). */
export type Closable = Pick<RoomMember, 'close' | 'closed' | 'terminate'>;

/** One registry entry as the drain sees it: a loaded room, or a load under way. */
export interface DrainedEntry {
  readonly room: Room | null;
  readonly loading: Promise<Room> | null;
}

/** What the drain needs. */
export interface DrainDeps {
  readonly persistence: PersistenceScheduler;
  readonly compactor: Compactor;
  readonly logger: Logger;
}

/** At shutdown, at most this many group-commit rounds are awaited so that their acks go out (CONN-3)… */
const ACKED_ROUNDS = 3;
/** …within at most this share of the time the drain has; the rest is for the close handshakes. */
const ACK_SHARE = 0.5;

/**
 * Drains the registry's rooms by `deadline` in CONN-3's order, every wait taking what is left of
 * the one deadline (CONN-5): commits what is pending and sends its acks, closes every room member
 * and then `alsoClose` with 1012, waits for the closes (terminating the rest at the deadline)
 * while the store takes what came later, and destroys every room. The caller has refused joins
 * already and clears `entries` after.
 */
export async function drainRooms(
  entries: ReadonlyMap<string, DrainedEntry>,
  deps: DrainDeps,
  deadline: Deadline,
  alsoClose: Iterable<Closable>,
): Promise<ShutdownReport> {
  // Half of the time at most: a store that hangs must not leave healthy clients no time to close cleanly.
  await commitForAcks(deps.persistence, () => entries.keys(), deadline.share(ACK_SHARE));

  // Room members first: a multiplexed document's close-doc frame needs its connection still open.
  const members = new Set<Closable>();
  for (const entry of entries.values()) for (const m of entry.room?.allSessions() ?? []) members.add(m);
  for (const member of alsoClose) members.add(member);
  for (const member of members) member.close(CloseCode.serviceRestart, 'server restarting');
  // What arrived after the last acked round is stored meanwhile, unacked. A load still running is
  // not awaited past the deadline; a room it brings after the drain is destroyed when it lands.
  const loading = [...entries.values()].flatMap((e) => (e.loading === null ? [] : [e.loading]));
  for (const load of loading) {
    load.then(
      (room) => {
        if (!entries.has(room.id)) room.destroy(CloseCode.serviceRestart, 'server restarting');
      },
      () => {},
    );
  }
  const stored = Promise.allSettled([deps.persistence.flush(), deps.compactor.settled(), ...loading]);

  const unclosed = new Set(members);
  for (const member of members) void member.closed.then(() => unclosed.delete(member));
  const closed = await deadline.race(Promise.all([...members].map((m) => m.closed)));
  if (!closed.done) {
    deps.logger.warn({ open: unclosed.size }, 'shutdown deadline: terminating sockets that did not close');
    for (const member of unclosed) member.terminate('shutdown deadline');
  }
  await deadline.race(stored);
  const documents = [...entries.keys()].filter((id) => deps.persistence.lastPending(id) !== null);
  const unstored = deps.persistence.pending;
  if (unstored > 0) {
    deps.logger.error(
      { pending: unstored, documents },
      'shutdown deadline passed with updates not stored; their clients keep them unacked and resend them',
    );
  }
  for (const entry of entries.values()) entry.room?.destroy(CloseCode.serviceRestart, 'server restarting');
  return { unstored, documents };
}

/**
 * Commits what clients sent before the drain, in rounds, while their members are still open to
 * receive the acks. Each round first yields a turn, so frames already in the socket buffers are
 * read and applied, then waits for what is queued at that moment only: a busy room cannot hold
 * the drain. It ends early once a round finds nothing new, and at the deadline.
 */
async function commitForAcks(
  persistence: PersistenceScheduler,
  documents: () => Iterable<string>,
  deadline: Deadline,
): Promise<void> {
  for (let round = 0; round < ACKED_ROUNDS && !deadline.passed; round++) {
    await nextTurn();
    const queued = [...documents()].flatMap((id) => persistence.lastPending(id) ?? []);
    if (queued.length === 0) break;
    if (!(await deadline.race(Promise.allSettled(queued))).done) return;
  }
  // An ack is sent in a microtask after its commit settles; one more turn and every one has left.
  await nextTurn();
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
