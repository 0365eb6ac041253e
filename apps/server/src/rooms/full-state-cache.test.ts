import { decodeFrame } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DIFF_FROM_BYTES_MAX, FullStateCache } from './full-state-cache.js';
import { mapAfter, mapUpdate } from './room.fixture.js';
import { RoomDocument } from './room-document.js';

const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc());

function stateOf(frame: Uint8Array): Record<string, unknown> {
  const decoded = decodeFrame(frame);
  if (!decoded.ok || decoded.frame.type !== 'sync-step2') throw new Error('expected a sync step 2');
  return mapAfter(decoded.frame.update);
}

describe('FullStateCache', () => {
  it('SYNC-2: answers every empty state vector with one shared frame until a transaction changes the document', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, mapUpdate('k', 'v'));
    const cache = new FullStateCache(RoomDocument.of(doc));
    const first = cache.syncStep2For(EMPTY_STATE_VECTOR);
    expect(cache.syncStep2For(EMPTY_STATE_VECTOR)).toBe(first);
    expect(stateOf(first)).toEqual({ k: 'v' });
    Y.applyUpdate(doc, mapUpdate('k2', 'v2'));
    const second = cache.syncStep2For(EMPTY_STATE_VECTOR);
    expect(second).not.toBe(first);
    expect(stateOf(second)).toEqual({ k: 'v', k2: 'v2' });
    cache.forget();
    expect(cache.syncStep2For(EMPTY_STATE_VECTOR)).not.toBe(second);
  });

  it('SYNC-2: answers any other state vector with a fresh diff, never cached', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, mapUpdate('k', 'v'));
    const cache = new FullStateCache(RoomDocument.of(doc));
    const sv = Y.encodeStateVector(doc);
    const upToDate = cache.syncStep2For(sv);
    expect(cache.syncStep2For(sv)).not.toBe(upToDate);
    expect(stateOf(upToDate)).toEqual({});
  });

  it('stops watching the document once disposed', () => {
    const doc = new Y.Doc();
    const cache = new FullStateCache(RoomDocument.of(doc));
    cache.dispose();
    const before = cache.syncStep2For(EMPTY_STATE_VECTOR);
    Y.applyUpdate(doc, mapUpdate('k', 'v'));
    expect(cache.syncStep2For(EMPTY_STATE_VECTOR)).toBe(before);
  });

  it('SYNC-2: serves a document kept as merged bytes without building its Y.Doc, until a change after it is built', () => {
    const source = new Y.Doc();
    Y.applyUpdate(source, mapUpdate('k', 'v'));
    const merged = { state: Y.encodeStateAsUpdate(source), stateVector: Y.encodeStateVector(source) };
    const document = RoomDocument.fromMerged('d', merged);
    const cache = new FullStateCache(document);
    const first = cache.syncStep2For(EMPTY_STATE_VECTOR);
    expect(stateOf(first)).toEqual({ k: 'v' });
    expect(document.isBuilt).toBe(false);
    const doc = document.doc;
    expect(cache.syncStep2For(EMPTY_STATE_VECTOR)).toBe(first);
    Y.applyUpdate(doc, mapUpdate('k2', 'v2'));
    expect(stateOf(cache.syncStep2For(EMPTY_STATE_VECTOR))).toEqual({ k: 'v', k2: 'v2' });
  });

  it('SYNC-1: answers a joiner that holds part of a small document kept as bytes from the bytes, and of a large one by building it once', () => {
    for (const [size, builds] of [
      [1_000, false],
      [DIFF_FROM_BYTES_MAX + 1_000, true],
    ] as const) {
      const source = new Y.Doc();
      const text = source.getText('t');
      text.insert(0, 'x'.repeat(size));
      const joiner = new Y.Doc();
      Y.applyUpdate(joiner, Y.encodeStateAsUpdate(source));
      text.insert(0, 'new ');
      const document = RoomDocument.fromMerged('d', {
        state: Y.encodeStateAsUpdate(source),
        stateVector: Y.encodeStateVector(source),
      });
      const answer = decodeFrame(new FullStateCache(document).syncStep2For(Y.encodeStateVector(joiner)));
      if (!answer.ok || answer.frame.type !== 'sync-step2') throw new Error('expected a sync step 2');
      Y.applyUpdate(joiner, answer.frame.update);
      expect(joiner.getText('t').toString()).toBe(text.toString());
      expect(document.isBuilt).toBe(builds);
    }
  });
});
