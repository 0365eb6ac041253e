import { decodeFrame } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { emptyMerged } from '../storage/snapshot.js';
import { FullStateCache } from './full-state-cache.js';
import { mapAfter, mapUpdate } from './room.fixture.js';
import { MERGE_HERE_MAX_BYTES, RoomDocument } from './room-document.js';

const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc());

/** The frames `cache` answers `stateVector` with, sent at once (no merge due). */
function answerNow(cache: FullStateCache, stateVector: Uint8Array): readonly Uint8Array[] {
  let sent: readonly Uint8Array[] | null = null;
  cache.answer(
    stateVector,
    {
      sendAll: (frames) => {
        sent = frames;
      },
    },
    (err) => {
      throw err;
    },
  );
  if (sent === null) throw new Error('no answer sent at once');
  return sent;
}

/** The updates of an answer: a sync step 2 first, then any update frames. */
function updatesOf(frames: readonly Uint8Array[]): Uint8Array[] {
  return frames.map((frame, i) => {
    const decoded = decodeFrame(frame);
    const expected = i === 0 ? 'sync-step2' : 'sync-update';
    if (!decoded.ok || decoded.frame.type !== expected) throw new Error(`expected a ${expected} frame`);
    return (decoded.frame as { update: Uint8Array }).update;
  });
}

function stateOf(frames: readonly Uint8Array[]): Record<string, unknown> {
  const updates = updatesOf(frames);
  expect(updates).toHaveLength(1);
  return mapAfter(updates[0] as Uint8Array);
}

describe('FullStateCache', () => {
  it('SYNC-2: answers every empty state vector with one shared frame until a transaction changes the document', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, mapUpdate('k', 'v'));
    const cache = new FullStateCache(RoomDocument.of(doc));
    const first = answerNow(cache, EMPTY_STATE_VECTOR);
    expect(answerNow(cache, EMPTY_STATE_VECTOR)).toBe(first);
    expect(stateOf(first)).toEqual({ k: 'v' });
    Y.applyUpdate(doc, mapUpdate('k2', 'v2'));
    const second = answerNow(cache, EMPTY_STATE_VECTOR);
    expect(second).not.toBe(first);
    expect(stateOf(second)).toEqual({ k: 'v', k2: 'v2' });
    cache.forget();
    expect(answerNow(cache, EMPTY_STATE_VECTOR)).not.toBe(second);
  });

  it('SYNC-2: answers any other state vector with a fresh diff, never cached', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, mapUpdate('k', 'v'));
    const cache = new FullStateCache(RoomDocument.of(doc));
    const sv = Y.encodeStateVector(doc);
    const upToDate = answerNow(cache, sv);
    expect(answerNow(cache, sv)).not.toBe(upToDate);
    expect(stateOf(upToDate)).toEqual({});
  });

  it('stops watching the document once disposed', () => {
    const doc = new Y.Doc();
    const cache = new FullStateCache(RoomDocument.of(doc));
    cache.dispose();
    const before = answerNow(cache, EMPTY_STATE_VECTOR);
    Y.applyUpdate(doc, mapUpdate('k', 'v'));
    expect(answerNow(cache, EMPTY_STATE_VECTOR)).toBe(before);
  });

  it('SYNC-2: serves a document kept as merged bytes without building its Y.Doc, until a change after it is built', () => {
    const source = new Y.Doc();
    Y.applyUpdate(source, mapUpdate('k', 'v'));
    const merged = { state: Y.encodeStateAsUpdate(source), stateVector: Y.encodeStateVector(source), complete: true };
    const document = RoomDocument.fromMerged('d', merged);
    const cache = new FullStateCache(document);
    const first = answerNow(cache, EMPTY_STATE_VECTOR);
    expect(stateOf(first)).toEqual({ k: 'v' });
    expect(document.isBuilt).toBe(false);
    const doc = document.doc;
    expect(answerNow(cache, EMPTY_STATE_VECTOR)).toBe(first);
    Y.applyUpdate(doc, mapUpdate('k2', 'v2'));
    expect(stateOf(answerNow(cache, EMPTY_STATE_VECTOR))).toEqual({ k: 'v', k2: 'v2' });
  });

  it('SYNC-1: answers a joiner that holds part of a document kept as bytes from the bytes, small or large, without building its Y.Doc', () => {
    for (const size of [1_000, MERGE_HERE_MAX_BYTES + 1_000]) {
      const source = new Y.Doc();
      const text = source.getText('t');
      text.insert(0, 'x'.repeat(size));
      const joiner = new Y.Doc();
      Y.applyUpdate(joiner, Y.encodeStateAsUpdate(source));
      text.insert(0, 'new ');
      const document = RoomDocument.fromMerged('d', {
        state: Y.encodeStateAsUpdate(source),
        stateVector: Y.encodeStateVector(source),
        complete: true,
      });
      const answer = updatesOf(answerNow(new FullStateCache(document), Y.encodeStateVector(joiner)));
      expect(answer).toHaveLength(1);
      Y.applyUpdate(joiner, answer[0] as Uint8Array);
      expect(joiner.getText('t').toString() === text.toString()).toBe(true);
      expect(document.isBuilt).toBe(false);
    }
  });

  it('YJS-4: a state vector Yjs cannot decode throws before anything is sent, whether or not a merge is due', () => {
    const document = RoomDocument.fromMerged('d', emptyMerged());
    expect(() => answerNow(new FullStateCache(document), Uint8Array.of(5, 200))).toThrow();
  });
});
