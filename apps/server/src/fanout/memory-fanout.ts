import type { Fanout, FanoutHandler, FanoutMessage } from './fanout.js';

/** An in-process bus that several nodes in one process share (tests); a single node is the default. */
export interface MemoryFanoutBus {
  /** A Fanout for one node on this bus. */
  connect(nodeId: string): Fanout;
}

interface Subscription {
  readonly nodeId: string;
  readonly handler: FanoutHandler;
}

/** Creates an in-memory bus. Delivery is asynchronous (a microtask), like a real transport. */
export function createMemoryFanoutBus(): MemoryFanoutBus {
  const rooms = new Map<string, Set<Subscription>>();
  return {
    connect(nodeId: string): Fanout {
      const mine = new Set<{ roomId: string; sub: Subscription }>();
      return {
        publish(roomId: string, message: FanoutMessage) {
          const subs = rooms.get(roomId);
          if (subs === undefined) return;
          // One copy for every other node, made only when there is one (a single node's own
          // subscription is all there is, and it publishes every update).
          let payload: Uint8Array | null = null;
          for (const sub of subs) {
            if (sub.nodeId === nodeId) continue;
            payload ??= message.payload.slice();
            const copy = payload;
            queueMicrotask(() => sub.handler({ kind: message.kind, payload: copy }));
          }
        },
        subscribe(roomId: string, handler: FanoutHandler) {
          const sub: Subscription = { nodeId, handler };
          const entry = { roomId, sub };
          let subs = rooms.get(roomId);
          if (subs === undefined) {
            subs = new Set();
            rooms.set(roomId, subs);
          }
          subs.add(sub);
          mine.add(entry);
          return {
            ready: Promise.resolve(),
            close() {
              mine.delete(entry);
              const current = rooms.get(roomId);
              current?.delete(sub);
              if (current?.size === 0) rooms.delete(roomId);
            },
          };
        },
        // An in-process bus never loses a message, so it never asks rooms to catch up.
        onResync() {
          return () => {};
        },
        async check() {},
        async close() {
          for (const { roomId, sub } of mine) {
            const current = rooms.get(roomId);
            current?.delete(sub);
            if (current?.size === 0) rooms.delete(roomId);
          }
          mine.clear();
        },
      };
    },
  };
}

/** A single node's in-memory Fanout: the default when no Redis is configured. */
export function createMemoryFanout(nodeId: string): Fanout {
  return createMemoryFanoutBus().connect(nodeId);
}
