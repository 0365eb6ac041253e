import type { PersistenceScheduler } from './persistence-scheduler.js';

/** Why a write was refused while the store backlog is full: the 1013 close reason and notice text (PERSIST-5). */
export const WRITES_PAUSED_REASON = 'store unavailable: writes paused; retry later';

/**
 * True when a Yjs update (v1) carries structs, i.e. may add content. Its first varUint counts the
 * clients it has structs for; a bare delete set, or a reader's empty sync step 2, starts with 0.
 * Read without decoding, so refusing a frame under overload costs nothing.
 */
export function addsStructs(update: Uint8Array): boolean {
  return update.byteLength > 0 && update[0] !== 0;
}

/**
 * Whether `update` must be refused now: the unstored backlog is over its bound and the update may
 * grow it. Deletions and empty updates still pass: they add no content (readers stay connected).
 */
export function writesPausedFor(persistence: Pick<PersistenceScheduler, 'overBound'>, update: Uint8Array): boolean {
  return addsStructs(update) && persistence.overBound();
}

/** Thrown by an import while writes are paused; `statusCode` makes Fastify answer 503. */
export class WritesPausedError extends Error {
  override readonly name = 'WritesPausedError';
  readonly statusCode = 503;

  constructor() {
    super(WRITES_PAUSED_REASON);
  }
}
