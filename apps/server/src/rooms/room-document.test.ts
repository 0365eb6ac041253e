import { createHash } from 'node:crypto';
import { decodeFrame } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { framedState } from '../storage/framed-state.js';
import { createMemoryDocStore } from '../storage/memory-doc-store.js';
import { emptyMerged, mergedOf } from '../storage/snapshot.js';
import { snapshotsHere } from '../storage/snapshot-thread.js';
import { coversOf } from './auto-versions.js';
import { FullStateCache } from './full-state-cache.js';
import {
  FOLD_UPDATES,
  foldThreshold,
  MERGE_HERE_MAX_BYTES,
  MERGER_FOLD_UPDATES,
  RoomDocument,
} from './room-document.js';
import { DEFAULT_UPDATE_LIMITS, inspectUpdate } from './update-guard.js';

/** Appends `update` the way the room does: inspected against the document's clocks first. */
function appendChecked(document: RoomDocument, update: Uint8Array): void {
  const verdict = inspectUpdate(update, { get: (client) => document.clockOf(client) }, DEFAULT_UPDATE_LIMITS);
  if (!verdict.ok) throw new Error(verdict.reason);
  expect(document.canAppend(verdict.incomplete)).toBe(true);
  document.append(update, verdict.covered);
}

/** A writer whose every edit is captured as the update it produced. */
function writer(clientID: number) {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  return { doc, text: doc.getText('t'), take: () => updates.splice(0) };
}

describe('RoomDocument kept as bytes', () => {
  it('YJS-1/SYNC-2: appended edits (inserts and deletes of two writers) move the state vector on and are in the whole state and the Y.Doc built from it', () => {
    const document = RoomDocument.fromMerged('d', emptyMerged());
    const a = writer(11);
    const b = writer(22);
    a.text.insert(0, 'hello world');
    const [first] = a.take();
    Y.applyUpdate(b.doc, first as Uint8Array);
    b.take();
    // Concurrent: a prefixes, b deletes a word of a's and appends.
    a.text.insert(0, 'A: ');
    b.text.delete(0, 6);
    b.text.insert(b.text.length, '!');
    const edits = [first as Uint8Array, ...a.take(), ...b.take()];
    for (const u of edits) appendChecked(document, u);
    for (const u of edits) Y.applyUpdate(a.doc, u);
    expect(a.text.toString()).toBe('A: world!');
    expect(document.stateVector()).toEqual(Y.encodeStateVector(a.doc));
    expect(document.clockOf(11)).toBe(Y.getState(a.doc.store, 11));
    expect(document.clockOf(22)).toBe(Y.getState(a.doc.store, 22));
    expect(document.clockOf(33)).toBe(0);
    const joiner = new Y.Doc();
    Y.applyUpdate(joiner, document.wholeState());
    expect(joiner.getText('t').toString()).toBe('A: world!');
    expect(document.isBuilt).toBe(false);
    expect(document.doc.getText('t').toString()).toBe('A: world!');
    expect(document.isBuilt).toBe(true);
    expect(document.stateVector()).toEqual(Y.encodeStateVector(a.doc));
  });

  it('keeps every edit across merges of the appended updates into the bytes', () => {
    const document = RoomDocument.fromMerged('d', emptyMerged());
    const a = writer(5);
    const edits = FOLD_UPDATES * 2 + 17;
    for (let i = 0; i < edits; i++) {
      const at = (i * 7) % (a.text.length + 1);
      if (i % 5 === 4 && at < a.text.length) a.text.delete(at, 1);
      else a.text.insert(at, String.fromCharCode(97 + (i % 26)));
      for (const u of a.take()) appendChecked(document, u);
      if (i === FOLD_UPDATES + 3) {
        // A joiner mid-way reads the whole state (the appended updates merged in).
        const mid = new Y.Doc();
        Y.applyUpdate(mid, document.wholeState());
        expect(mid.getText('t').toString()).toBe(a.text.toString());
      }
    }
    expect(document.stateVector()).toEqual(Y.encodeStateVector(a.doc));
    expect(document.isBuilt).toBe(false);
    expect(document.doc.getText('t').toString()).toBe(a.text.toString());
  });

  it('folds a small document at its own count: documents written at the same pace do not all merge in the same turn', () => {
    const names = Array.from({ length: 100 }, (_, i) => `cap3-${i}`);
    const thresholds = names.map(foldThreshold);
    for (const t of thresholds) {
      expect(t).toBeGreaterThanOrEqual(FOLD_UPDATES / 2);
      expect(t).toBeLessThan((FOLD_UPDATES * 3) / 2);
    }
    expect(new Set(thresholds).size).toBeGreaterThan(30);
    expect(names.map(foldThreshold)).toEqual(thresholds);
    // Two documents given the same edits merge them into their bytes at their own counts.
    const first = 'cap3-0';
    const second = names.find((n) => foldThreshold(n) !== foldThreshold(first)) as string;
    const foldsOf = (name: string) => {
      const document = RoomDocument.fromMerged(name, emptyMerged());
      const a = writer(7);
      let frame = document.syncStep2();
      const folds: number[] = [];
      for (let i = 1; i <= FOLD_UPDATES * 2; i++) {
        a.text.insert(a.text.length, 'x');
        for (const u of a.take()) appendChecked(document, u);
        const now = document.syncStep2();
        if (now !== frame) folds.push(i);
        frame = now;
      }
      expect(document.isBuilt).toBe(false);
      return folds;
    };
    expect(foldsOf(first)[0]).toBe(foldThreshold(first));
    expect(foldsOf(second)[0]).toBe(foldThreshold(second));
    expect(foldThreshold(first)).not.toBe(foldThreshold(second));
  });

  it('takes the same version state and covers from the bytes as from the Y.Doc (VER-3 on nodes that hold either)', () => {
    const a = writer(9);
    a.text.insert(0, 'versioned');
    const update = Y.encodeStateAsUpdate(a.doc);
    const bytes = RoomDocument.fromMerged('d', emptyMerged());
    appendChecked(bytes, update);
    const built = RoomDocument.of(new Y.Doc());
    Y.applyUpdate(built.doc, update);
    expect(coversOf(bytes.stateVector())).toBe(coversOf(built.stateVector()));
    expect(coversOf(bytes.stateVector())).toBe(coversOf(Y.encodeStateVector(a.doc)));
    const restored = new Y.Doc();
    Y.applyUpdate(restored, bytes.wholeState());
    expect(restored.getText('t').toString()).toBe('versioned');
    expect(bytes.isBuilt).toBe(false);
  });

  it('YJS-3: an update built on missing history cannot be appended: the room applies it to a Y.Doc, where it waits', () => {
    const document = RoomDocument.fromMerged('d', emptyMerged());
    const a = writer(3);
    a.text.insert(0, 'one');
    a.take();
    a.text.insert(3, ' two');
    const [second] = a.take();
    const verdict = inspectUpdate(second as Uint8Array, { get: (c) => document.clockOf(c) }, DEFAULT_UPDATE_LIMITS);
    expect(verdict.ok && verdict.incomplete).toBe(true);
    expect(document.canAppend(true)).toBe(false);
  });

  it('YJS-3: bytes stored with structs waiting for missing history are not appended to; they build a Y.Doc where those still wait', async () => {
    const a = writer(4);
    a.text.insert(0, 'one');
    const [first] = a.take();
    a.text.insert(3, ' two');
    const [second] = a.take();
    const store = createMemoryDocStore();
    await store.append([{ docId: 'd', update: second as Uint8Array }]);
    const merged = mergedOf(await store.load('d'), 'd');
    expect(merged.complete).toBe(false);
    const document = RoomDocument.fromMerged('d', merged);
    expect(document.canAppend(false)).toBe(false);
    expect(document.clockOf(4)).toBe(0);
    const { doc } = document;
    expect(doc.store.pendingStructs).not.toBeNull();
    Y.applyUpdate(doc, first as Uint8Array);
    expect(doc.getText('t').toString()).toBe('one two');
  });

  it('SYNC-2: a large document merges its appended updates by the merger (the snapshot thread), keeping what is appended meanwhile; joiners get the bytes and the updates appended since', async () => {
    const a = writer(8);
    a.text.insert(0, 'x'.repeat(MERGE_HERE_MAX_BYTES * 16));
    const textNow = () => `${a.text.length} ${createHash('sha256').update(a.text.toString()).digest('hex')}`;
    const start = Y.encodeStateAsUpdate(a.doc);
    a.take();
    const merges: number[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const merger = {
      merge: async (updates: readonly Uint8Array[]) => {
        merges.push(updates.length);
        await held;
        return snapshotsHere.merge(updates);
      },
    };
    const document = RoomDocument.fromMerged(
      'd',
      { state: start, stateVector: Y.encodeStateVector(a.doc), complete: true },
      merger,
    );
    const cache = new FullStateCache(document);
    const edit = (i: number) => {
      a.text.insert((i * 131) % a.text.length, 'y');
      for (const u of a.take()) appendChecked(document, u);
      cache.forget();
    };
    for (let i = 0; i < MERGER_FOLD_UPDATES; i++) edit(i);
    // The merge runs elsewhere: the bytes and the updates appended meanwhile stay usable.
    expect(merges).toEqual([MERGER_FOLD_UPDATES + 1]);
    for (let i = 0; i < 10; i++) edit(MERGER_FOLD_UPDATES + i);
    /** What a joiner with nothing is sent: frame types in order, and the text they make. */
    const answers: { types: string[]; text: string }[] = [];
    const join = () =>
      cache.answer(
        new Uint8Array([0]),
        {
          sendAll: (frames) => {
            const joiner = new Y.Doc();
            const types = frames.map((frame) => {
              const decoded = decodeFrame(frame);
              if (!decoded.ok) throw new Error('undecodable frame');
              Y.applyUpdate(joiner, (decoded.frame as { update: Uint8Array }).update);
              return decoded.frame.type;
            });
            const text = joiner.getText('t');
            answers.push({
              types,
              text: `${text.length} ${createHash('sha256').update(text.toString()).digest('hex')}`,
            });
          },
        },
        (err) => {
          throw err;
        },
      );
    // A joiner waits for the merge under way: nothing is merged on the event loop for it.
    join();
    expect(answers).toEqual([]);
    expect(document.stateParts()[0]).toBe(start);
    release();
    await waitFor(() => answers.length === 1, { what: 'the joiner answered once the merge ended' });
    expect(merges).toHaveLength(1);
    expect(document.stateParts()[0]).not.toBe(start);
    // The ten updates appended while the merge ran come first (the client holds them until the sync
    // step 2 brings what they build on), then the merged bytes.
    expect(answers[0]).toEqual({ types: ['sync-update', 'sync-step2'], text: textNow() });
    for (let i = 0; i < 5; i++) edit(MERGER_FOLD_UPDATES + 10 + i);
    join();
    await waitFor(() => answers.length === 2, { what: 'the second joiner answered' });
    expect(merges).toHaveLength(2);
    expect(answers[1]).toEqual({ types: ['sync-step2'], text: textNow() });
    expect(document.isBuilt).toBe(false);
    expect(document.stateVector()).toEqual(Y.encodeStateVector(a.doc));
    expect(document.doc.getText('t').toString() === a.text.toString()).toBe(true);
  });

  it("SYNC-2: answers a fresh joiner with the bytes' own sync step 2 frame: framed once, then no copy; bytes a thread framed are not copied at all", () => {
    const source = new Y.Doc();
    source.getText('t').insert(0, 'x'.repeat(5_000));
    const merged = mergedOf({ snapshot: null, updates: [{ seq: 1, update: Y.encodeStateAsUpdate(source) }] }, 'd');
    const document = RoomDocument.fromMerged('d', merged);
    const frame = document.syncStep2();
    const decoded = decodeFrame(frame);
    expect(decoded.ok && decoded.frame.type === 'sync-step2').toBe(true);
    // The document now keeps the frame's body as its bytes: one copy of the document, not two.
    expect(document.mergedState?.buffer).toBe(frame.buffer);
    expect(document.syncStep2()).toBe(frame);
    // Framed by a thread (as the snapshot worker returns it): the frame is the bytes' own buffer.
    const framed = framedState(Y.encodeStateAsUpdate(source));
    const fromThread = RoomDocument.fromMerged('d', { ...merged, state: framed.state });
    expect(fromThread.syncStep2().buffer).toBe(framed.frame.buffer);
    expect(fromThread.syncStep2().byteLength).toBe(framed.frame.byteLength);
    // An edit appended and merged: the next answer is a new frame holding it.
    const w = writer(33);
    Y.applyUpdate(w.doc, Y.encodeStateAsUpdate(source));
    w.take();
    w.text.insert(0, 'new ');
    appendChecked(document, w.take()[0] as Uint8Array);
    expect(document.joinState()?.appended).toBeNull();
    const next = decodeFrame(document.syncStep2());
    const joiner = new Y.Doc();
    if (next.ok && next.frame.type === 'sync-step2') Y.applyUpdate(joiner, next.frame.update);
    expect(joiner.getText('t').toString() === w.text.toString()).toBe(true);
  });
});
