import { waitFor } from '@tandem/test-utils';
import { describe, expect, it } from 'vitest';
import { ACCESS_CHANGES_CHANNEL, FANOUT_KINDS, type Fanout, type FanoutMessage } from './fanout.js';

/** Three nodes of one fan-out, ready to deliver; `cleanup` closes whatever the test left open. */
export interface FanoutContractSubject {
  readonly nodes: readonly [Fanout, Fanout, Fanout];
  readonly cleanup: () => Promise<void>;
}

/** Every kind the interface has: a new one is covered as soon as it is added. */
const KINDS = FANOUT_KINDS;

/** What one subscription received: kind and payload bytes (the transport may add `sentAt`). */
interface Inbox {
  readonly received: { kind: FanoutMessage['kind']; bytes: number[] }[];
  readonly handler: (message: FanoutMessage) => void;
}

function inbox(): Inbox {
  const received: Inbox['received'] = [];
  return { received, handler: (message) => received.push({ kind: message.kind, bytes: [...message.payload] }) };
}

const update = (...values: number[]): FanoutMessage => ({ kind: 'update', payload: new Uint8Array(values) });

/** Subscribes `fanout` to `roomId` and waits until messages published from now on are delivered. */
async function subscribed(fanout: Fanout, roomId: string, box: Inbox = inbox()) {
  const subscription = fanout.subscribe(roomId, box.handler);
  await subscription.ready;
  return { box, subscription };
}

/** Waits until `box` holds a message whose first byte is `marker`. */
async function received(box: Inbox, marker: number, what: string): Promise<void> {
  await waitFor(() => box.received.some((m) => m.bytes[0] === marker), { what });
}

/**
 * The behaviour every {@link Fanout} must show, checked with three nodes of one transport (CLUSTER-1):
 * run it against each implementation. Absence ("nothing arrived") is checked behind a marker that
 * the transport delivers after the message that must not arrive, never after a fixed sleep.
 */
export function describeFanoutContract(name: string, open: () => Promise<FanoutContractSubject>): void {
  const withNodes = (fn: (nodes: FanoutContractSubject['nodes']) => Promise<void>) => async () => {
    const subject = await open();
    try {
      await fn(subject.nodes);
    } finally {
      await subject.cleanup();
    }
  };

  describe(`Fanout contract: ${name}`, () => {
    it(
      'CLUSTER-1: a message reaches every other node subscribed to its room, and no node subscribed to another room',
      withNodes(async ([a, b, c]) => {
        const [onB, onC] = await Promise.all([subscribed(b, 'room'), subscribed(c, 'room')]);
        const elsewhere = await subscribed(c, 'other');
        a.publish('room', update(1, 2, 3));
        await received(onB.box, 1, 'the message on b');
        await received(onC.box, 1, 'the message on c');
        expect(onB.box.received).toEqual([{ kind: 'update', bytes: [1, 2, 3] }]);
        expect(onC.box.received).toEqual([{ kind: 'update', bytes: [1, 2, 3] }]);
        // a's later message on 'other' reaches c after the first one would have.
        a.publish('other', update(9));
        await received(elsewhere.box, 9, 'the marker on the other room');
        expect(elsewhere.box.received).toEqual([{ kind: 'update', bytes: [9] }]);
      }),
    );

    it(
      'CLUSTER-1: the publishing node does not receive its own message (no echo)',
      withNodes(async ([a, b]) => {
        const [onA, onB] = await Promise.all([subscribed(a, 'room'), subscribed(b, 'room')]);
        a.publish('room', update(1));
        await received(onB.box, 1, 'the message on b');
        // b's reply reaches a after a's own message would have.
        b.publish('room', update(2));
        await received(onA.box, 2, "b's marker on a");
        expect(onA.box.received).toEqual([{ kind: 'update', bytes: [2] }]);
      }),
    );

    it(
      'CLUSTER-1: every subscription of a node to the room receives the message',
      withNodes(async ([a, b]) => {
        const [first, second] = await Promise.all([subscribed(b, 'room'), subscribed(b, 'room')]);
        a.publish('room', update(5));
        await received(first.box, 5, 'the first subscription');
        await received(second.box, 5, 'the second subscription');
        expect(first.box.received).toHaveLength(1);
        expect(second.box.received).toHaveLength(1);
      }),
    );

    it(
      "CLUSTER-1: each publisher's messages arrive in the order it sent them, on every node",
      withNodes(async ([a, b, c]) => {
        const [onB, onC] = await Promise.all([subscribed(b, 'room'), subscribed(c, 'room')]);
        // [publisher tag, sequence number high byte, low byte]; c's messages interleave with a's.
        const counts = { a: 300, c: 100 };
        for (let i = 0; i < counts.a; i++) {
          a.publish('room', update(1, i >> 8, i & 0xff));
          if (i % 3 === 0) c.publish('room', update(3, (i / 3) >> 8, (i / 3) & 0xff));
        }
        const sequence = (box: Inbox, tag: number) =>
          box.received.filter((m) => m.bytes[0] === tag).map((m) => ((m.bytes[1] ?? 0) << 8) + (m.bytes[2] ?? 0));
        const inOrder = (n: number) => Array.from({ length: n }, (_, i) => i);
        await waitFor(() => sequence(onB.box, 1).length === counts.a && sequence(onB.box, 3).length === counts.c, {
          what: 'every message on b',
        });
        await waitFor(() => sequence(onC.box, 1).length === counts.a, { what: "a's messages on c" });
        expect(sequence(onB.box, 1)).toEqual(inOrder(counts.a));
        expect(sequence(onB.box, 3)).toEqual(inOrder(counts.c));
        expect(sequence(onC.box, 1)).toEqual(inOrder(counts.a));
        expect(sequence(onC.box, 3)).toEqual([]);
      }),
    );

    it(
      'CLUSTER-8: every message kind arrives with its kind and its payload byte for byte',
      withNodes(async ([a, b]) => {
        const onB = await subscribed(b, 'room');
        const payload = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
        KINDS.forEach((kind, i) => {
          a.publish('room', { kind, payload: Uint8Array.of(100 + i, ...payload) });
        });
        a.publish('room', { kind: 'update', payload: new Uint8Array(0) });
        await waitFor(() => onB.box.received.length === KINDS.length + 1, { what: 'every kind on b' });
        expect(onB.box.received).toEqual([
          ...KINDS.map((kind, i) => ({ kind, bytes: [100 + i, ...payload] })),
          { kind: 'update', bytes: [] },
        ]);
      }),
    );

    it(
      'REVOKE-3: a control message on the access-change channel reaches every other node, and no room',
      withNodes(async ([a, b, c]) => {
        const [onB, onC] = await Promise.all([
          subscribed(b, ACCESS_CHANGES_CHANNEL),
          subscribed(c, ACCESS_CHANGES_CHANNEL),
        ]);
        const room = await subscribed(c, 'room');
        a.publish(ACCESS_CHANGES_CHANNEL, { kind: 'control', payload: Uint8Array.of(42, 1) });
        a.publish('room', update(43));
        await received(onB.box, 42, 'the control message on b');
        await received(onC.box, 42, 'the control message on c');
        await received(room.box, 43, 'the marker in the room');
        expect(onB.box.received).toEqual([{ kind: 'control', bytes: [42, 1] }]);
        expect(room.box.received).toEqual([{ kind: 'update', bytes: [43] }]);
      }),
    );

    it(
      'CLUSTER-1: a payload changed by the publisher after publish() arrives as it was published',
      withNodes(async ([a, b]) => {
        const onB = await subscribed(b, 'room');
        const payload = Uint8Array.of(7, 7, 7);
        a.publish('room', { kind: 'update', payload });
        payload.fill(0);
        await received(onB.box, 7, 'the message on b');
        expect(onB.box.received).toEqual([{ kind: 'update', bytes: [7, 7, 7] }]);
      }),
    );

    it(
      'CLUSTER-1: a closed subscription receives nothing more; the node’s other subscriptions still do',
      withNodes(async ([a, b]) => {
        const [gone, kept] = await Promise.all([subscribed(b, 'room'), subscribed(b, 'room')]);
        gone.subscription.close();
        gone.subscription.close();
        a.publish('room', update(1));
        a.publish('room', update(2));
        await received(kept.box, 2, 'the marker on the kept subscription');
        expect(kept.box.received.map((m) => m.bytes[0])).toEqual([1, 2]);
        expect(gone.box.received).toEqual([]);
      }),
    );

    it(
      'CLUSTER-1: a node whose last subscription to a room closed receives nothing more for it, and can subscribe again',
      withNodes(async ([a, b]) => {
        const gone = await subscribed(b, 'room');
        const marker = await subscribed(b, 'marker');
        gone.subscription.close();
        a.publish('room', update(1));
        a.publish('marker', update(2));
        await received(marker.box, 2, 'the marker on b');
        expect(gone.box.received).toEqual([]);
        const again = await subscribed(b, 'room');
        a.publish('room', update(3));
        await received(again.box, 3, 'the message after subscribing again');
        expect(again.box.received.map((m) => m.bytes[0])).toEqual([3]);
        expect(gone.box.received).toEqual([]);
      }),
    );

    it(
      'CLUSTER-1: a closed node receives nothing more, the others go on, and its publish() never throws',
      withNodes(async ([a, b, c]) => {
        const [onB, onC] = await Promise.all([subscribed(b, 'room'), subscribed(c, 'room')]);
        await b.close();
        a.publish('room', update(1));
        a.publish('room', update(2));
        await received(onC.box, 2, 'the messages on c');
        expect(onC.box.received.map((m) => m.bytes[0])).toEqual([1, 2]);
        expect(onB.box.received).toEqual([]);
        expect(() => b.publish('room', update(3))).not.toThrow();
      }),
    );

    it(
      'CLUSTER-1: a ready node passes its check, and a resync listener can be removed',
      withNodes(async ([a]) => {
        await expect(a.check()).resolves.toBeUndefined();
        const stop = a.onResync(() => {});
        expect(typeof stop).toBe('function');
        stop();
      }),
    );
  });
}
