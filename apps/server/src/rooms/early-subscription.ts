import type { Fanout, FanoutHandler, FanoutMessage } from '../fanout/fanout.js';

/** Most messages held while a room loads; past it they are dropped and the room catches up instead. */
const MAX_HELD = 10_000;

/** A fan-out subscription taken before a room exists, holding messages until the room attaches. */
export interface EarlySubscription {
  /** Resolves once the fan-out delivers every later message (see FanoutSubscription.ready). */
  readonly ready: Promise<void>;
  /** Delivers the held messages to `handler`, then every later one; true if none were dropped. */
  attach(handler: FanoutHandler): boolean;
  close(): void;
}

/**
 * Subscribes to `roomId` now, so that nothing published while the room loads from the store is
 * missed (join without gaps): messages are held and replayed on attach. Yjs updates commute, so
 * replaying them after the stored state is applied yields the same document.
 */
export function subscribeEarly(fanout: Fanout, roomId: string): EarlySubscription {
  let held: FanoutMessage[] | null = [];
  let dropped = false;
  let target: FanoutHandler | null = null;
  const subscription = fanout.subscribe(roomId, (message) => {
    if (target !== null) target(message);
    else if (held !== null && held.length < MAX_HELD) held.push(message);
    else dropped = true;
  });
  return {
    ready: subscription.ready,
    attach(handler) {
      const replay = held ?? [];
      held = null;
      target = handler;
      for (const message of replay) handler(message);
      return !dropped;
    },
    close() {
      held = null;
      target = null;
      subscription.close();
    },
  };
}
