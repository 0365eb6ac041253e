import { describe, expect, it } from 'vitest';
import { thinVersions } from './version-retention.js';
import type { NewVersion, VersionStore } from './version-store.js';

/** A version store under test; `second` is another handle on the same data (durable stores), `reopen` reopens it. */
export interface VersionContractSubject {
  readonly store: VersionStore;
  readonly second?: () => Promise<VersionStore>;
  readonly reopen?: () => Promise<VersionStore>;
  readonly cleanup: () => Promise<void>;
}

/**
 * A subject for a durable store: `openHandle` opens another handle on the same data (used for
 * `second` and `reopen`); every handle is closed, then `cleanup` runs.
 */
export function durableSubject(openHandle: () => VersionStore, cleanup: () => void = () => {}): VersionContractSubject {
  const opened: VersionStore[] = [openHandle()];
  const another = async () => {
    const next = openHandle();
    opened.push(next);
    return next;
  };
  return {
    store: opened[0] as VersionStore,
    second: another,
    reopen: async () => {
      await opened[0]?.close();
      return another();
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      cleanup();
    },
  };
}

const T0 = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const version = (over: Partial<NewVersion> = {}): NewVersion => ({
  docId: 'doc',
  kind: 'auto',
  label: null,
  reason: null,
  createdAt: T0,
  authors: [{ userId: 'u1', name: 'Ada' }],
  createdBy: null,
  state: new Uint8Array([1, 2, 3]),
  covers: `c${Math.random()}`,
  ...over,
});

/** The behaviour every VersionStore must show (VER-1, VER-4, VER-8, VER-12); run it against each implementation. */
export function describeVersionStoreContract(name: string, open: () => Promise<VersionContractSubject>): void {
  const withStore = (fn: (subject: VersionContractSubject) => Promise<void>) => async () => {
    const subject = await open();
    try {
      await fn(subject);
    } finally {
      await subject.cleanup();
    }
  };

  describe(`VersionStore contract: ${name}`, () => {
    it(
      'VER-1: a version is written and read back byte for byte, with its description; unknown ids are null',
      withStore(async ({ store, reopen }) => {
        const state = new Uint8Array(70_000).map((_, i) => i % 251);
        const added = await store.addVersion(
          version({
            kind: 'named',
            label: 'Sent to legal',
            state,
            createdBy: { userId: 'u2', name: 'Bob' },
            authors: [
              { userId: 'u1', name: 'Ada' },
              { userId: null, name: 'anonymous' },
            ],
          }),
        );
        expect(added.created).toBe(true);
        const record = added.version;
        expect(record).toMatchObject({
          docId: 'doc',
          kind: 'named',
          label: 'Sent to legal',
          reason: null,
          createdAt: T0,
          bytes: 70_000,
          createdBy: { userId: 'u2', name: 'Bob' },
          authors: [
            { userId: 'u1', name: 'Ada' },
            { userId: null, name: 'anonymous' },
          ],
        });
        expect(record?.id).toMatch(/^[A-Za-z0-9_-]+$/);
        const id = record?.id as string;
        const readFrom = reopen === undefined ? store : await reopen();
        expect(await readFrom.getVersion('doc', id)).toEqual(record);
        expect(await readFrom.readVersionState('doc', id)).toEqual(state);
        expect(await readFrom.getVersion('other-doc', id)).toBeNull();
        expect(await readFrom.getVersion('doc', '999999')).toBeNull();
        expect(await readFrom.getVersion('doc', 'not-an-id')).toBeNull();
        expect(await readFrom.readVersionState('doc', '999999')).toBeNull();
      }),
    );

    it(
      'VER-1: versions list newest first in pages; the cursor reaches every version once',
      withStore(async ({ store }) => {
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) {
          const added = await store.addVersion(version({ createdAt: T0 + i, kind: i % 3 === 0 ? 'named' : 'auto' }));
          ids.push(added.version?.id as string);
        }
        await store.addVersion(version({ docId: 'elsewhere' }));
        const seen: string[] = [];
        let before: string | undefined;
        let pages = 0;
        do {
          const page = await store.listVersions('doc', before === undefined ? { limit: 3 } : { limit: 3, before });
          seen.push(...page.versions.map((v) => v.id));
          before = page.next ?? undefined;
          pages++;
        } while (before !== undefined);
        expect(pages).toBe(3);
        expect(seen).toEqual([...ids].reverse());
        expect((await store.listVersions('doc', { limit: 7 })).next).toBeNull();
        expect((await store.listVersions('nobody', { limit: 5 })).versions).toEqual([]);
      }),
    );

    it(
      'VER-4: an automatic version covering the same state as the newest, or taken after another recent one, is not stored',
      withStore(async ({ store }) => {
        const first = await store.addVersion(version({ covers: 'sv-1', createdAt: T0 }), { since: T0 - 1000 });
        expect(first.created).toBe(true);
        const same = await store.addVersion(version({ covers: 'sv-1', createdAt: T0 + 10 * HOUR }), { since: T0 });
        expect(same).toEqual({ created: false, version: first.version });
        const recent = await store.addVersion(version({ covers: 'sv-2', createdAt: T0 + 500 }), { since: T0 - 1000 });
        expect(recent).toEqual({ created: false, version: first.version });
        const later = await store.addVersion(version({ covers: 'sv-2', createdAt: T0 + HOUR }), { since: T0 + 1 });
        expect(later.created).toBe(true);
        expect((await store.listVersions('doc', { limit: 10 })).versions).toHaveLength(2);
      }),
    );

    it(
      'VER-12: two handles taking the same automatic version at once store it once; the loser adds its authors',
      withStore(async ({ store, second }) => {
        const other = second === undefined ? store : await second();
        const results = await Promise.all(
          [store, other, store, other].map((s, i) =>
            s.addVersion(version({ covers: 'same', authors: [{ userId: `u${i}`, name: `N${i}` }] }), {
              since: T0 - 5000,
            }),
          ),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        const winner = results.find((r) => r.created)?.version?.id as string;
        for (const lost of results.filter((r) => !r.created)) expect(lost.version?.id).toBe(winner);
        await other.addAuthors('doc', winner, [
          { userId: 'u9', name: 'Late' },
          { userId: 'u0', name: 'N0' },
        ]);
        const authors = (await store.getVersion('doc', winner))?.authors.map((a) => a.userId);
        expect(new Set(authors).size).toBe(authors?.length);
        expect(authors).toContain('u9');
        expect((await store.listVersions('doc', { limit: 10 })).versions).toHaveLength(1);
      }),
    );

    it(
      'VER-8: a month of automatic versions every 30 minutes thins to the policy; named and implicit ones stay',
      withStore(async ({ store }) => {
        const now = T0 + 40 * DAY + 5 * 60_000;
        const times: number[] = [];
        for (let t = T0; t < now; t += 30 * 60_000) times.push(t);
        const kinds = (t: number) => (t === T0 + 5 * DAY ? 'implicit' : 'auto');
        for (const t of times)
          await store.addVersion(version({ createdAt: t, kind: kinds(t), state: new Uint8Array([1]) }));
        await store.addVersion(version({ createdAt: T0 + 3 * DAY + 7, kind: 'named' }));
        const removed = await thinVersions(store, 'doc', now, { keepAllMs: DAY, hourlyMs: 30 * DAY });
        const kept = await store.versionTimeline('doc');
        expect(removed + kept.length).toBe(times.length + 1);
        // Now is 5 min past a day boundary. The last day: all 48. Ages 1–30 days: the newest of each
        // clock hour from T0+10d (its :30) to T0+39d (its :00 only), 29 × 24 + 1. Older: the
        // newest of each UTC day, days 0–9 and day 10's 00:00, 11.
        const auto = kept.filter((v) => v.kind === 'auto');
        const lastDay = auto.filter((v) => now - v.createdAt < DAY).length;
        const hourly = auto.filter((v) => now - v.createdAt >= DAY && now - v.createdAt < 30 * DAY).length;
        const daily = auto.filter((v) => now - v.createdAt >= 30 * DAY).length;
        expect(lastDay).toBe(48);
        expect(hourly).toBe(29 * 24 + 1);
        expect(daily).toBe(11);
        expect(kept.filter((v) => v.kind !== 'auto').map((v) => v.kind)).toEqual(['implicit', 'named']);
        // Thinning again changes nothing.
        expect(await thinVersions(store, 'doc', now, { keepAllMs: DAY, hourlyMs: 30 * DAY })).toBe(0);
      }),
    );

    it(
      'VER-1: deleting one version, then all of a document, removes exactly those',
      withStore(async ({ store }) => {
        const a = (await store.addVersion(version())).version?.id as string;
        const b = (await store.addVersion(version())).version?.id as string;
        const c = (await store.addVersion(version({ docId: 'kept' }))).version?.id as string;
        expect(await store.deleteVersions('doc', [a, 'bogus'])).toBe(1);
        expect((await store.versionTimeline('doc')).map((v) => v.id)).toEqual([b]);
        await store.deleteAllVersions('doc');
        expect(await store.versionTimeline('doc')).toEqual([]);
        expect((await store.versionTimeline('kept')).map((v) => v.id)).toEqual([c]);
      }),
    );
  });
}
