import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DEFAULT_UPDATE_LIMITS, inspectUpdate } from './update-guard.js';

const sv = (doc: Y.Doc) => Y.decodeStateVector(Y.encodeStateVector(doc));

function gcBomb(len: number): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint(e, 42);
  encoding.writeVarUint(e, 0);
  encoding.writeUint8(e, 0); // GC struct
  encoding.writeVarUint(e, len);
  encoding.writeVarUint(e, 0);
  return encoding.toUint8Array(e);
}

function deleteBomb(len: number): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint(e, 7);
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, len);
  return encoding.toUint8Array(e);
}

describe('inspectUpdate', () => {
  it('YJS-1: accepts ordinary edits and names the clients they write', () => {
    const server = new Y.Doc();
    const client = new Y.Doc();
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
    const updates: Uint8Array[] = [];
    client.on('update', (u: Uint8Array) => updates.push(u));
    client.getText('t').insert(0, 'hello');
    client.getText('t').delete(1, 2);
    for (const update of updates) {
      const verdict = inspectUpdate(update, sv(server), DEFAULT_UPDATE_LIMITS);
      expect(verdict.ok).toBe(true);
      Y.applyUpdate(server, update);
    }
    const first = inspectUpdate(updates[0] as Uint8Array, new Map(), DEFAULT_UPDATE_LIMITS);
    expect(first.ok && first.writtenClients).toEqual([client.clientID]);
    // Re-sending known content writes nothing new.
    const again = inspectUpdate(Y.encodeStateAsUpdate(client), sv(server), DEFAULT_UPDATE_LIMITS);
    expect(again.ok && again.writtenClients).toEqual([]);
  });

  it('YJS-2: refuses the RLE bomb — a few bytes claiming an astronomic clock or delete range', () => {
    for (const bomb of [gcBomb(2 ** 45), deleteBomb(2 ** 45)]) {
      const verdict = inspectUpdate(bomb, new Map(), DEFAULT_UPDATE_LIMITS);
      expect(verdict).toMatchObject({ ok: false, code: 1008 });
    }
  });

  it('YJS-3: tells which updates depend on history the server does not have', () => {
    const author = new Y.Doc();
    const updates: Uint8Array[] = [];
    author.on('update', (u: Uint8Array) => updates.push(u));
    author.getText('t').insert(0, 'abc');
    author.getText('t').insert(3, 'def');
    author.getText('t').delete(0, 1);
    const empty = new Map<number, number>();
    expect(inspectUpdate(updates[0] as Uint8Array, empty, DEFAULT_UPDATE_LIMITS)).toMatchObject({ incomplete: false });
    // The second insert continues the first: without it, a gap.
    expect(inspectUpdate(updates[1] as Uint8Array, empty, DEFAULT_UPDATE_LIMITS)).toMatchObject({
      ok: true,
      incomplete: true,
    });
    // The delete refers to content the server never got.
    expect(inspectUpdate(updates[2] as Uint8Array, empty, DEFAULT_UPDATE_LIMITS)).toMatchObject({
      ok: true,
      incomplete: true,
    });
    // Another client's insert anchored to the author's missing text.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(author));
    const otherUpdates: Uint8Array[] = [];
    other.on('update', (u: Uint8Array) => otherUpdates.push(u));
    other.getText('t').insert(2, 'X');
    expect(inspectUpdate(otherUpdates[0] as Uint8Array, empty, DEFAULT_UPDATE_LIMITS)).toMatchObject({
      ok: true,
      incomplete: true,
    });
    const withAuthor = new Y.Doc();
    Y.applyUpdate(withAuthor, Y.encodeStateAsUpdate(author));
    expect(inspectUpdate(otherUpdates[0] as Uint8Array, sv(withAuthor), DEFAULT_UPDATE_LIMITS)).toMatchObject({
      incomplete: false,
    });
  });

  it('YJS-3: structs of one client listed in two blocks with a gap between them are incomplete, and report the range they cover', () => {
    // Client 5: GC structs at clocks [0, 3) and [10, 12), no Skip between: the clocks 3..9 are missing.
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 2);
    for (const [clock, len] of [
      [0, 3],
      [10, 2],
    ] as const) {
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, 5);
      encoding.writeVarUint(e, clock);
      encoding.writeUint8(e, 0);
      encoding.writeVarUint(e, len);
    }
    encoding.writeVarUint(e, 0);
    const verdict = inspectUpdate(encoding.toUint8Array(e), new Map(), DEFAULT_UPDATE_LIMITS);
    expect(verdict).toMatchObject({ ok: true, incomplete: true, deletes: false });
    expect(verdict.ok && verdict.covered).toEqual(new Map([[5, { from: 0, to: 12 }]]));
  });

  it('YJS-4: malformed bytes are refused with 1007', () => {
    expect(inspectUpdate(Uint8Array.of(1, 5, 200), new Map(), DEFAULT_UPDATE_LIMITS)).toMatchObject({
      ok: false,
      code: 1007,
    });
  });
});
