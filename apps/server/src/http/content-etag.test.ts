import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { etagOf, ifMatchAdmits, ifNoneMatchHits } from './content-etag.js';

describe('content ETags', () => {
  it('CONTENT-3: the same edits give the same tag in any order; every change, a deletion too, moves it', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const fromA = new Y.Doc();
    fromA.getText('t').insert(0, 'hello');
    const fromB = new Y.Doc();
    fromB.getText('t').insert(0, 'world');
    const ua = Y.encodeStateAsUpdate(fromA);
    const ub = Y.encodeStateAsUpdate(fromB);
    Y.applyUpdate(a, ua);
    Y.applyUpdate(a, ub);
    Y.applyUpdate(b, ub);
    Y.applyUpdate(b, ua);
    expect(etagOf(a)).toBe(etagOf(b));
    expect(etagOf(a)).toMatch(/^"[A-Za-z0-9_-]{27}"$/);

    const before = etagOf(a);
    const vector = Y.encodeStateVector(a);
    a.getText('t').delete(0, 1);
    expect(Y.encodeStateVector(a)).toEqual(vector);
    expect(etagOf(a)).not.toBe(before);
    expect(etagOf(new Y.Doc())).not.toBe(before);
  });

  it('CONTENT-3: If-Match admits a missing header, * or a list naming the tag; weak tags never match', () => {
    expect(ifMatchAdmits(undefined, '"x"')).toBe(true);
    expect(ifMatchAdmits('*', '"x"')).toBe(true);
    expect(ifMatchAdmits('"a", "x"', '"x"')).toBe(true);
    expect(ifMatchAdmits('"a"', '"x"')).toBe(false);
    expect(ifMatchAdmits('W/"x"', '"x"')).toBe(false);
    expect(ifNoneMatchHits('W/"x"', '"x"')).toBe(true);
    expect(ifNoneMatchHits(undefined, '"x"')).toBe(false);
  });
});
