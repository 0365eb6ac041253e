import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLite } from '@hocuspocus/extension-sqlite';
import { type Extension, Server } from '@hocuspocus/server';
import { freePort, type PostgresServer, startPostgres, waitFor } from '@tandem/test-utils';
import Database from 'better-sqlite3';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from 'hocuspocus-provider3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { runCli, type ServerProcess, startServer } from './helpers/processes.js';

const ADMIN_TOKEN = 'admin-token-for-the-import-test';

/** The documents a Hocuspocus deployment holds, as its users wrote them. */
const ORIGINALS: Record<string, string> = {
  'team/notes': 'Meeting notes, written through Hocuspocus.',
  'team/plan': 'Plan: migrate to Tandem without touching the clients.',
};

/** The text of `name` as Hocuspocus' SQLite extension has stored it, or null before it has. */
function storedText(file: string, name: string): string | null {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT data FROM documents WHERE name = ?').get(name) as { data: Buffer } | undefined;
    if (row === undefined) return null;
    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(row.data));
    return doc.getText('content').toString();
  } catch {
    return null; // Not created yet.
  } finally {
    db.close();
  }
}

/** Edits `name` through a stock provider against a real Hocuspocus server, and waits until it is stored. */
async function writeThroughHocuspocus(url: string, file: string, name: string, text: string): Promise<void> {
  const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket });
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({ websocketProvider: socket, name, document: doc });
  provider.attach();
  try {
    await waitFor(() => provider.isSynced, { what: `${name} synced with Hocuspocus` });
    doc.getText('content').insert(0, text);
    doc.getMap('meta').set('title', name);
    await waitFor(() => provider.unsyncedChanges === 0, { what: `${name} applied by Hocuspocus` });
    // Hocuspocus acks before it stores (debounced): wait for its SQLite extension's row.
    await waitFor(() => storedText(file, name) === text, { what: `${name} stored by the SQLite extension` });
  } finally {
    provider.destroy();
    socket.destroy();
    doc.destroy();
  }
}

/** The document `name` as the Tandem server stores it (admin export, Yjs update). */
async function tandemDoc(server: ServerProcess, name: string): Promise<Y.Doc> {
  const response = await fetch(`${server.httpUrl}/admin/documents/${encodeURIComponent(name)}/export?format=yjs`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(response.status).toBe(200);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await response.arrayBuffer()));
  return doc;
}

const summaryOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;

/** A document equals its original: same content and the original's whole history (state vector and deletes). */
function expectEqualDocs(imported: Y.Doc, original: Uint8Array): void {
  const source = new Y.Doc();
  Y.applyUpdate(source, original);
  expect(imported.getText('content').toString()).toBe(source.getText('content').toString());
  expect(imported.getMap('meta').toJSON()).toEqual(source.getMap('meta').toJSON());
  expect(Y.snapshotContainsUpdate(Y.snapshot(imported), original)).toBe(true);
  expect(Buffer.from(Y.encodeStateVector(imported))).toEqual(Buffer.from(Y.encodeStateVector(source)));
  source.destroy();
}

describe('tandem import-hocuspocus', () => {
  let dir = '';
  let sqliteFile = '';
  /** The rows the Hocuspocus SQLite extension wrote, read back raw. */
  let stored: Map<string, Uint8Array>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-import-hp-'));
    sqliteFile = join(dir, 'hocuspocus.sqlite');
    const port = await freePort();
    const hocuspocus = new Server({
      port,
      address: '127.0.0.1',
      quiet: true,
      debounce: 50,
      maxDebounce: 200,
      // The current SQLite extension (4.7.0, on better-sqlite3) on the 3.4 server, as Hocuspocus 4 needs
      // Node 22: it uses only the document and its name from the hooks, which both majors pass alike.
      extensions: [new SQLite({ database: sqliteFile }) as unknown as Extension],
    });
    await hocuspocus.listen();
    try {
      for (const [name, text] of Object.entries(ORIGINALS)) {
        await writeThroughHocuspocus(`ws://127.0.0.1:${port}`, sqliteFile, name, text);
      }
    } finally {
      // Stores what is still debounced and closes the database.
      await hocuspocus.destroy();
    }
    const db = new Database(sqliteFile);
    stored = new Map(
      (db.prepare('SELECT name, data FROM documents').all() as { name: string; data: Buffer }[]).map((row) => [
        row.name,
        new Uint8Array(row.data),
      ]),
    );
    // A deployment's broken row: reported and skipped, never half-written.
    db.prepare('INSERT INTO documents (name, data) VALUES (?, ?)').run('team/broken', Buffer.from([9, 9, 9, 9]));
    db.close();
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('HP-10: a SQLite database written by Hocuspocus’ SQLite extension: dry run, import, equal documents, idempotent re-run', async () => {
    expect([...stored.keys()].sort()).toEqual(Object.keys(ORIGINALS).sort());
    const server = await startServer({ DATA_DIR: join(dir, 'tandem'), ADMIN_TOKEN });
    try {
      const base = ['import-hocuspocus', server.httpUrl, '--admin-token', ADMIN_TOKEN, '--sqlite', sqliteFile];
      const dry = await runCli([...base, '--dry-run']);
      expect(dry.code).toBe(1);
      // The summary names each failed document with the reason its progress line gave.
      const reason = /"team\/broken" \(4 bytes\): failed: (not a Yjs update: .+)\n/.exec(dry.stderr)?.[1];
      expect(reason).toBeDefined();
      const failures = [{ name: 'team/broken', reason }];
      expect(summaryOf(dry.stdout)).toEqual({
        documents: 3,
        wouldImport: 2,
        unchanged: 0,
        failed: 1,
        failures,
        bytes: [...stored.values()].reduce((n, d) => n + d.byteLength, 0),
        dryRun: true,
      });
      expect(dry.stderr).toMatch(/\[1\/3\] "team\/notes" \(\d+ bytes\): would-import/);
      expect((await tandemDoc(server, 'team/notes')).getText('content').toString()).toBe('');

      const run = await runCli(base);
      expect(run.code).toBe(1);
      expect(summaryOf(run.stdout)).toMatchObject({ documents: 3, imported: 2, unchanged: 0, failed: 1, failures });
      for (const [name, original] of stored) expectEqualDocs(await tandemDoc(server, name), original);
      // The broken document was never written.
      expect((await tandemDoc(server, 'team/broken')).share.size).toBe(0);

      const again = await runCli(base);
      expect(summaryOf(again.stdout)).toMatchObject({
        documents: 3,
        imported: 0,
        unchanged: 2,
        failed: 1,
        failures,
        bytes: 0,
      });
      for (const [name, original] of stored) expectEqualDocs(await tandemDoc(server, name), original);
    } finally {
      await server.process.stop('SIGTERM');
    }
  });

  describe('from Postgres', () => {
    let postgres: PostgresServer;

    beforeAll(async () => {
      postgres = await startPostgres();
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      await client.query('CREATE TABLE hp_documents (name text PRIMARY KEY, data bytea NOT NULL)');
      for (const [name, data] of stored) {
        await client.query('INSERT INTO hp_documents (name, data) VALUES ($1, $2)', [name, Buffer.from(data)]);
      }
      await client.end();
    });

    afterAll(async () => {
      await postgres?.stop();
    });

    it('HP-10: a Postgres table given by a connection string and a query (name, data) is imported, equal, once', async () => {
      const server = await startServer({ DATA_DIR: join(dir, 'tandem-pg'), ADMIN_TOKEN });
      try {
        const base = [
          'import-hocuspocus',
          server.httpUrl,
          '--admin-token',
          ADMIN_TOKEN,
          '--postgres',
          postgres.url,
          '--query',
          'SELECT name, data FROM hp_documents ORDER BY name',
        ];
        const run = await runCli(base);
        expect(run.stderr).toBe(
          [...stored.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, d], i) => `[${i + 1}/2] ${JSON.stringify(name)} (${d.byteLength} bytes): imported\n`)
            .join(''),
        );
        expect(run.code).toBe(0);
        expect(summaryOf(run.stdout)).toMatchObject({ documents: 2, imported: 2, failed: 0, failures: [] });
        for (const [name, original] of stored) expectEqualDocs(await tandemDoc(server, name), original);
        const again = await runCli(base);
        expect(again.code).toBe(0);
        expect(summaryOf(again.stdout)).toMatchObject({ imported: 0, unchanged: 2 });
      } finally {
        await server.process.stop('SIGTERM');
      }
    });

    it('HP-10: a query without the name and data columns is a clear error', async () => {
      const result = await runCli([
        'import-hocuspocus',
        'http://127.0.0.1:9',
        '--admin-token',
        ADMIN_TOKEN,
        '--postgres',
        postgres.url,
        '--query',
        'SELECT 1 AS id',
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/row 1 has no text column "name"/);
    });
  });
});
