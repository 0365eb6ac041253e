import { CloseCode, NoticeCode } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Claim } from './client-id-owners.js';
import type { RoomMember } from './member.js';
import { fakeMember, mapUpdate } from './room.fixture.js';
import { mustStore, WriteAdmission } from './write-admission.js';
import { WRITES_PAUSED_REASON, WritesPausedError } from './write-pause.js';
import { DEFAULT_WRITE_POLICY } from './write-policy.js';

/** Admission over an empty document; `refuse` names a client id whose structs belong to someone else. */
function admissionOf(options: { overBound?: boolean; refuse?: number } = {}) {
  const claimed: { member: RoomMember; clients: readonly number[] }[] = [];
  const admission = new WriteAdmission({
    persistence: { overBound: () => options.overBound === true },
    clocks: { get: () => 0 },
    policy: DEFAULT_WRITE_POLICY,
    claims: {
      claimStructs(member, clients): Claim<RoomMember> {
        claimed.push({ member, clients });
        if (options.refuse !== undefined && clients.includes(options.refuse)) {
          return { ok: false, clientId: options.refuse };
        }
        return { ok: true, takenFrom: [], fromElsewhere: [] };
      },
      liveStructWriter: (clients) =>
        options.refuse !== undefined && clients.includes(options.refuse) ? options.refuse : null,
    },
  });
  return { admission, claimed };
}

/** An update of client 7 and the next one, which builds on it. */
function twoUpdates(): [Uint8Array, Uint8Array] {
  const doc = new Y.Doc();
  doc.clientID = 7;
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  doc.getText('t').insert(0, 'ab');
  doc.getText('t').insert(2, 'cd');
  doc.destroy();
  return updates as [Uint8Array, Uint8Array];
}

describe('WriteAdmission', () => {
  it("admits a writable member's update and claims the client ids it writes under", () => {
    const { admission, claimed } = admissionOf();
    const member = fakeMember('a');
    const [first] = twoUpdates();
    expect(admission.admit(member, first)).toEqual({
      ok: true,
      writtenClients: [7],
      incomplete: false,
      covered: new Map([[7, { from: 0, to: 2 }]]),
      deletes: false,
    });
    expect(claimed).toEqual([{ member, clients: [7] }]);
    expect(member.closes).toEqual([]);
  });

  it('AUTH-4: a read-only member is told with a notice, and nothing is claimed', () => {
    const { admission, claimed } = admissionOf();
    const member = fakeMember('r', { tandem: true });
    member.canWrite = false;
    expect(admission.admit(member, mapUpdate('k', 'v'))).toBeNull();
    expect(member.extensions).toMatchObject([{ type: 'notice', code: NoticeCode.readOnly }]);
    expect(member.closes).toEqual([]);
    expect(claimed).toEqual([]);
  });

  it('PERSIST-5: while the store backlog is full, content closes its sender with 1013 and a deletion passes', () => {
    const { admission } = admissionOf({ overBound: true });
    const writer = fakeMember('w');
    expect(admission.admit(writer, mapUpdate('k', 'v'))).toBeNull();
    expect(writer.closes).toEqual([{ code: CloseCode.tryAgainLater, reason: WRITES_PAUSED_REASON }]);
    const reader = fakeMember('r');
    const deletionOnly = Y.encodeStateAsUpdate(new Y.Doc());
    expect(admission.admit(reader, deletionOnly)).not.toBeNull();
  });

  it('YJS-1: an update that does not decode closes its sender with the code of the guard', () => {
    const { admission } = admissionOf();
    const member = fakeMember('a');
    expect(admission.admit(member, new Uint8Array([0xff, 0xff, 0xff]))).toBeNull();
    expect(member.closes).toHaveLength(1);
  });

  it('YJS-5: writing under a client id another session holds closes the writer with 1008', () => {
    const { admission } = admissionOf({ refuse: 7 });
    const member = fakeMember('squatter');
    expect(admission.admit(member, twoUpdates()[0])).toBeNull();
    expect(member.closes).toEqual([
      { code: CloseCode.policyViolation, reason: 'Yjs client id 7 belongs to another session' },
    ]);
  });

  it('YJS-5/CONTENT-4: liveWriterOf names a client id an update writes new structs under that a live member holds', () => {
    const [first, second] = twoUpdates();
    expect(admissionOf({ refuse: 7 }).admission.liveWriterOf(first)).toBe(7);
    expect(admissionOf({ refuse: 8 }).admission.liveWriterOf(second)).toBeNull();
    expect(admissionOf({ refuse: 7 }).admission.liveWriterOf(Uint8Array.of(9, 9, 9))).toBeNull();
  });

  it('OPS-6: an import is admitted, refused when it builds on missing history, and throws while writes are paused', () => {
    const [first, second] = twoUpdates();
    const { admission } = admissionOf();
    expect(admission.admitImport(first)).toEqual({ ok: true });
    expect(admission.admitImport(second)).toMatchObject({ ok: false, reason: expect.stringContaining('history') });
    expect(admission.admitImport(new Uint8Array([0xff, 0xff]))).toMatchObject({ ok: false });
    expect(() => admissionOf({ overBound: true }).admission.admitImport(first)).toThrow(WritesPausedError);
  });

  it('EXT-3: an update is stored when it changed the document, left something pending, or resends remote content', () => {
    const update = mapUpdate('k', 'v');
    expect(mustStore(update, false, false, false)).toBe(false);
    expect(mustStore(update, true, false, false)).toBe(true);
    expect(mustStore(update, false, true, false)).toBe(true);
    expect(mustStore(update, false, false, true)).toBe(true);
    // An empty update (two zero bytes) resends nothing.
    expect(mustStore(new Uint8Array([0, 0]), false, false, true)).toBe(false);
  });
});
