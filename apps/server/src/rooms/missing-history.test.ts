import { CloseCode } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { hasPending, MissingHistoryWait } from './missing-history.js';
import { fakeMember, logger } from './room.fixture.js';

/** Three consecutive edits of one client (`clientId`, or a random one): each builds on the one before. */
function edits(clientId?: number): [Uint8Array, Uint8Array, Uint8Array] {
  const author = new Y.Doc();
  if (clientId !== undefined) author.clientID = clientId;
  const updates: Uint8Array[] = [];
  author.on('update', (u: Uint8Array) => updates.push(u));
  for (const text of ['abc', 'def', 'ghi']) author.getText('t').insert(author.getText('t').length, text);
  author.destroy();
  return updates as [Uint8Array, Uint8Array, Uint8Array];
}

function waitOver(doc: Y.Doc, deadlineMs: number) {
  let dropped = 0;
  const wait = new MissingHistoryWait({
    roomId: 'notes',
    document: { doc },
    deadlineMs,
    logger,
    onDropped: () => {
      dropped++;
    },
  });
  return { wait, dropped: () => dropped };
}

describe('MissingHistoryWait', () => {
  it('YJS-3: at the deadline the pending part is dropped and every sender that waited is closed with 1008', async () => {
    const doc = new Y.Doc();
    const [, second, third] = edits();
    const { wait, dropped } = waitOver(doc, 30);
    const a = fakeMember('a');
    const b = fakeMember('b');
    Y.applyUpdate(doc, second);
    wait.wait(a);
    Y.applyUpdate(doc, third);
    wait.wait(b);
    expect(hasPending(doc)).toBe(true);
    await waitFor(() => b.closes.length > 0, { timeoutMs: 2000, what: 'the deadline' });
    expect(a.closes.map((c) => c.code)).toEqual([CloseCode.policyViolation]);
    expect(b.closes.map((c) => c.code)).toEqual([CloseCode.policyViolation]);
    expect(hasPending(doc)).toBe(false);
    expect(dropped()).toBe(1);
  });

  it('YJS-3: history that arrives in time clears the wait: a later deadline closes only the later sender', async () => {
    const doc = new Y.Doc();
    const [first, second] = edits();
    const { wait, dropped } = waitOver(doc, 30);
    const patient = fakeMember('patient');
    Y.applyUpdate(doc, second);
    wait.wait(patient);
    Y.applyUpdate(doc, first);
    wait.arrived();
    expect(doc.getText('t').toString()).toBe('abcdef');
    // Another client's update whose history never comes.
    const [, lost] = edits(999);
    const stranded = fakeMember('stranded');
    Y.applyUpdate(doc, lost);
    wait.wait(stranded);
    await waitFor(() => stranded.closes.length > 0, { timeoutMs: 2000, what: 'the deadline' });
    expect(patient.closes).toEqual([]);
    expect(dropped()).toBe(1);
    expect(doc.getText('t').toString()).toBe('abcdef');
  });

  it('closes nobody when what waited was completed by the deadline without a call to arrived()', async () => {
    const doc = new Y.Doc();
    const [first, second] = edits();
    const { wait, dropped } = waitOver(doc, 30);
    const a = fakeMember('a');
    const probe = fakeMember('probe');
    Y.applyUpdate(doc, second);
    wait.wait(a);
    Y.applyUpdate(doc, first);
    // A second, unrelated wait with the same deadline, started later, tells the test the first has fired.
    const { wait: clock } = waitOver(pendingDoc(), 30);
    clock.wait(probe);
    await waitFor(() => probe.closes.length > 0, { timeoutMs: 2000, what: 'the deadline' });
    expect(a.closes).toEqual([]);
    expect(dropped()).toBe(0);
    expect(doc.getText('t').toString()).toBe('abcdef');
  });
});

/** A document holding a pending update. */
function pendingDoc(): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, edits()[2]);
  return doc;
}
