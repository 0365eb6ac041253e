import { describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { awarenessUpdate, TEXT_NAME, typingUpdate } from '../src/compare/frames.js';

describe('pre-generated frames', () => {
  it('typingUpdate writes the bytes Yjs writes for the same insert', () => {
    const doc = new Y.Doc();
    doc.clientID = 123_456;
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    const text = doc.getText(TEXT_NAME);
    for (let i = 0; i < 200; i++) text.insert(text.length, String.fromCharCode(97 + (i % 26)));
    updates.forEach((u, i) => {
      expect(typingUpdate(123_456, i, String.fromCharCode(97 + (i % 26)))).toEqual(u);
    });
  });

  it('updates of several typists converge in any order', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const all = [1, 2, 3].flatMap((client) => Array.from({ length: 5 }, (_, i) => typingUpdate(client, i, 'x')));
    for (const u of all) Y.applyUpdate(a, u);
    for (const u of [...all].reverse()) Y.applyUpdate(b, u);
    expect(a.getText(TEXT_NAME).toString()).toBe('x'.repeat(15));
    expect(b.getText(TEXT_NAME).toString()).toBe(a.getText(TEXT_NAME).toString());
  });

  it('awarenessUpdate is a valid y-protocols awareness update', () => {
    const awareness = new awarenessProtocol.Awareness(new Y.Doc());
    awarenessProtocol.applyAwarenessUpdate(awareness, awarenessUpdate(77, 3, { cursor: 1 }), 'test');
    expect(awareness.getStates().get(77)).toEqual({ cursor: 1 });
  });
});
