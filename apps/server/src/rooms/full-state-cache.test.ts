import { decodeFrame } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { FullStateCache } from './full-state-cache.js';
import { mapAfter, mapUpdate } from './room.fixture.js';

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
    const cache = new FullStateCache(doc);
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
    const cache = new FullStateCache(doc);
    const sv = Y.encodeStateVector(doc);
    const upToDate = cache.syncStep2For(sv);
    expect(cache.syncStep2For(sv)).not.toBe(upToDate);
    expect(stateOf(upToDate)).toEqual({});
  });

  it('stops watching the document once disposed', () => {
    const doc = new Y.Doc();
    const cache = new FullStateCache(doc);
    cache.dispose();
    const before = cache.syncStep2For(EMPTY_STATE_VECTOR);
    Y.applyUpdate(doc, mapUpdate('k', 'v'));
    expect(cache.syncStep2For(EMPTY_STATE_VECTOR)).toBe(before);
  });
});
