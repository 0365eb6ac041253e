import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { type AwarenessEntry, readAwarenessEntries, writeAwarenessEntries } from './awareness-entries.js';

/** Encodes raw bytes the way an awareness update is laid out, without validation. */
function rawUpdate(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

describe('readAwarenessEntries', () => {
  it('reads what y-protocols encodes', () => {
    const doc = new Y.Doc();
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState({ user: { name: 'Ada' } });
    const update = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]);
    const entries = readAwarenessEntries(update);
    expect(entries).toEqual([{ clientId: doc.clientID, clock: expect.any(Number), state: '{"user":{"name":"Ada"}}' }]);
    awareness.destroy();
    doc.destroy();
  });

  it('reads a removal as the state "null"', () => {
    const update = writeAwarenessEntries([{ clientId: 5, clock: 2, state: 'null' }]);
    expect(readAwarenessEntries(update)).toEqual([{ clientId: 5, clock: 2, state: 'null' }]);
  });

  it('reads an update with no entries', () => {
    expect(readAwarenessEntries(new Uint8Array([0]))).toEqual([]);
  });

  it('reads large client ids and clocks', () => {
    const entries: AwarenessEntry[] = [
      { clientId: 2 ** 32 - 1, clock: Number.MAX_SAFE_INTEGER, state: '{}' },
      { clientId: 0, clock: 0, state: '"text"' },
    ];
    expect(readAwarenessEntries(writeAwarenessEntries(entries))).toEqual(entries);
  });

  it('throws on empty input', () => {
    expect(() => readAwarenessEntries(new Uint8Array())).toThrow();
  });

  it('throws when the count claims more entries than the bytes hold', () => {
    const update = rawUpdate((e) => {
      encoding.writeVarUint(e, 3);
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, 1);
      encoding.writeVarString(e, '{}');
    });
    expect(() => readAwarenessEntries(update)).toThrow();
  });

  it('throws on every strict prefix of a valid update', () => {
    const update = writeAwarenessEntries([{ clientId: 300, clock: 7, state: '{"a":1}' }]);
    for (let end = 0; end < update.byteLength; end++) {
      expect(() => readAwarenessEntries(update.subarray(0, end)), `prefix of ${end} bytes`).toThrow();
    }
  });

  it('throws when a string length runs past the end', () => {
    const update = rawUpdate((e) => {
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, 50);
      encoding.writeUint8(e, 0x7b);
    });
    expect(() => readAwarenessEntries(update)).toThrow();
  });

  it('throws when a state is not JSON', () => {
    const update = writeAwarenessEntries([{ clientId: 1, clock: 1, state: '{not json' }]);
    expect(() => readAwarenessEntries(update)).toThrow(SyntaxError);
  });

  it('throws on trailing bytes after the entries', () => {
    const update = writeAwarenessEntries([{ clientId: 1, clock: 1, state: '{}' }]);
    const withTrailer = new Uint8Array([...update, 0]);
    expect(() => readAwarenessEntries(withTrailer)).toThrow(/trailing bytes/);
  });

  it('reads a view with a non-zero byte offset', () => {
    const update = writeAwarenessEntries([{ clientId: 9, clock: 3, state: '{}' }]);
    const padded = new Uint8Array(update.byteLength + 4);
    padded.set(update, 2);
    expect(readAwarenessEntries(padded.subarray(2, 2 + update.byteLength))).toEqual([
      { clientId: 9, clock: 3, state: '{}' },
    ]);
  });
});

describe('writeAwarenessEntries', () => {
  it('round-trips through readAwarenessEntries, keeping order and non-ASCII text', () => {
    const entries: AwarenessEntry[] = [
      { clientId: 2, clock: 1, state: '{"name":"Zoë 😀"}' },
      { clientId: 1, clock: 9, state: 'null' },
    ];
    expect(readAwarenessEntries(writeAwarenessEntries(entries))).toEqual(entries);
  });

  it('writes an empty update as a zero count', () => {
    expect(writeAwarenessEntries([])).toEqual(new Uint8Array([0]));
  });

  it('writes updates y-protocols applies', () => {
    const doc = new Y.Doc();
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState(null);
    const update = writeAwarenessEntries([
      { clientId: 11, clock: 1, state: '{"cursor":3}' },
      { clientId: 12, clock: 1, state: '{"cursor":4}' },
    ]);
    awarenessProtocol.applyAwarenessUpdate(awareness, update, 'test');
    expect(awareness.getStates().get(11)).toEqual({ cursor: 3 });
    expect(awareness.getStates().get(12)).toEqual({ cursor: 4 });

    awarenessProtocol.applyAwarenessUpdate(
      awareness,
      writeAwarenessEntries([{ clientId: 11, clock: 2, state: 'null' }]),
      'test',
    );
    expect(awareness.getStates().has(11)).toBe(false);
    awareness.destroy();
    doc.destroy();
  });

  it('is byte-identical to y-protocols for the same entry', () => {
    const doc = new Y.Doc();
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState({ n: 1 });
    const theirs = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]);
    const [entry] = readAwarenessEntries(theirs);
    expect(entry).toBeDefined();
    expect(writeAwarenessEntries([entry as AwarenessEntry])).toEqual(theirs);
    awareness.destroy();
    doc.destroy();
  });
});
