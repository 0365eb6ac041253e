/**
 * Version-history figures (not a test: `node bench/dist/versions.js`, after the build).
 *
 * 1. Storage under the retention policy: a document edited continuously for a simulated month,
 *    an automatic version every VERSION_MAX_INTERVAL_MS (10 min), each stored in the SQLite
 *    version store and thinned by the default policy at its time. Prints the versions and bytes
 *    kept at the end (and what keeping every version would have cost).
 * 2. Listing 1,000 versions of a document from the SQLite store, in pages of 200.
 * 3. Restoring a 1 MiB document over REST (a server process, SQLite): a named version, then 10%
 *    of its paragraphs changed, then `POST …/restore` — the time until the restore is durable.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServerProcess } from '@tandem/test-utils';
import * as Y from 'yjs';
// Not package entries of @tandem/server: the built modules, by path (their .d.ts sit beside them).
import { openSqliteVersionStore } from '../../apps/server/dist/storage/sqlite-version-store.js';
import { DEFAULT_RETENTION, thinVersions } from '../../apps/server/dist/storage/version-retention.js';
import type { NewVersion, VersionRecord, VersionStore } from '../../apps/server/dist/storage/version-store.js';

const DAY = 86_400_000;
const ADMIN = 'bench-admin-token-0123456789';

const { values } = parseArgs({
  options: { days: { type: 'string', default: '30' }, 'interval-min': { type: 'string', default: '10' } },
});
const days = Number(values.days);
const intervalMs = Number(values['interval-min']) * 60_000;

const auto = (docId: string, createdAt: number, state: Uint8Array): NewVersion => ({
  docId,
  kind: 'auto',
  label: null,
  reason: null,
  createdAt,
  authors: [{ userId: 'u1', name: 'Writer' }],
  createdBy: null,
  state,
  covers: String(createdAt),
});

/** Every version of a document, read in pages of 200 as a client would. */
async function allVersions(store: VersionStore, docId: string): Promise<VersionRecord[]> {
  const out: VersionRecord[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await store.listVersions(docId, before === undefined ? { limit: 200 } : { limit: 200, before });
    out.push(...page.versions);
    if (page.next === null) return out;
    before = page.next;
  }
}

async function storageGrowth(dir: string) {
  const store = openSqliteVersionStore({ dataDir: dir });
  const doc = new Y.Doc();
  const text = doc.getText('content');
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const start = Date.parse('2026-11-01T00:00:00Z');
  let written = 0;
  let everyBytes = 0;
  const started = performance.now();
  for (let t = start; t < start + days * DAY; t += intervalMs) {
    // Ten minutes of typing: 100 characters typed at a place in the text, 60 of them deleted again.
    const at = Math.floor(random() * (text.length + 1));
    text.insert(at, 'typed text, some words, a sentence. '.repeat(3).slice(0, 100));
    text.delete(at + 20, 60);
    const state = Y.encodeStateAsUpdate(doc);
    everyBytes += state.byteLength;
    await store.addVersion(auto('month', t, state), { since: t - intervalMs / 2 });
    await thinVersions(store, 'month', t, DEFAULT_RETENTION);
    written++;
    if (written % 720 === 0)
      process.stderr.write(`# simulated day ${((t - start) / DAY + 1) | 0}: ${written} versions\n`);
  }
  const kept = await store.versionTimeline('month');
  const keptBytes = (await allVersions(store, 'month')).reduce((n, v) => n + v.bytes, 0);
  await store.close();
  return {
    simulatedDays: days,
    versionsTaken: written,
    versionsKept: kept.length,
    bytesKept: keptBytes,
    bytesIfAllKept: everyBytes,
    lastVersionBytes: Y.encodeStateAsUpdate(doc).byteLength,
    sqliteFileBytes: statSync(join(dir, 'tandem.sqlite')).size,
    wallSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

async function listThousand(dir: string) {
  const store = openSqliteVersionStore({ dataDir: dir });
  const state = Y.encodeStateAsUpdate(new Y.Doc());
  for (let i = 0; i < 1_000; i++)
    await store.addVersion({ ...auto('listed', i, state), kind: 'named', label: `v${i}` });
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    const count = (await allVersions(store, 'listed')).length;
    if (count !== 1_000) throw new Error(`listed ${count} versions`);
    runs.push(performance.now() - t0);
  }
  await store.close();
  return { versions: 1_000, pageSize: 200, medianMs: Math.round((runs.sort((a, b) => a - b)[2] ?? 0) * 10) / 10 };
}

async function restoreOneMiB(dir: string) {
  const server = await startServerProcess({
    ADMIN_TOKEN: ADMIN,
    DATA_DIR: join(dir, 'server'),
    LOG_LEVEL: 'info',
    WEB_DIR: 'none',
  });
  try {
    const api = (method: string, path: string, body?: Uint8Array | string) =>
      fetch(`${server.httpUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN}`,
          ...(body === undefined
            ? {}
            : { 'content-type': typeof body === 'string' ? 'application/json' : 'application/octet-stream' }),
        },
        ...(body === undefined ? {} : { body }),
      });
    const doc = new Y.Doc();
    const fragment = doc.getXmlFragment('default');
    const paragraphs: Y.XmlElement[] = [];
    for (let i = 0; i < 4_000; i++) {
      const p = new Y.XmlElement('paragraph');
      p.insert(0, [new Y.XmlText(`Paragraph ${i}: ${'lorem ipsum dolor sit amet '.repeat(9)}`)]);
      paragraphs.push(p);
    }
    // In two imports: the admin API takes bodies up to Fastify's default 1 MiB.
    const send = async (update: Uint8Array) => {
      const r = await api('POST', '/admin/documents/big/import', update);
      if (r.status !== 204) throw new Error(`import failed: ${r.status} ${await r.text()}`);
    };
    fragment.insert(0, paragraphs.slice(0, 2_000));
    await send(Y.encodeStateAsUpdate(doc));
    const half = Y.encodeStateVector(doc);
    fragment.insert(2_000, paragraphs.slice(2_000));
    await send(Y.encodeStateAsUpdate(doc, half));
    const full = Y.encodeStateAsUpdate(doc);
    const named = (await (
      await api('POST', '/api/documents/big/versions', JSON.stringify({ label: 'one MiB' }))
    ).json()) as {
      id: string;
      bytes: number;
    };
    const sv = Y.encodeStateVector(doc);
    for (let i = 0; i < 4_000; i += 10) ((fragment.get(i) as Y.XmlElement).get(0) as Y.XmlText).insert(0, 'CHANGED ');
    await send(Y.encodeStateAsUpdate(doc, sv));
    const t0 = performance.now();
    const restored = await api('POST', `/api/documents/big/versions/${named.id}/restore`);
    const ms = performance.now() - t0;
    if (restored.status !== 200) throw new Error(`restore answered ${restored.status}: ${await restored.text()}`);
    return {
      documentBytes: full.byteLength,
      versionBytes: named.bytes,
      changedParagraphs: 400,
      restoreMs: Math.round(ms),
    };
  } finally {
    await server.process.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-versions-'));
try {
  const results = {
    storage: await storageGrowth(join(dir, 'month')),
    list: await listThousand(join(dir, 'list')),
    restore: await restoreOneMiB(dir),
  };
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
