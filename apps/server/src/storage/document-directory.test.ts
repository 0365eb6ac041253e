import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tandem/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryDocumentDirectory, type DocumentDirectory } from './document-directory.js';
import { createDatabase } from './postgres-database.fixture.js';
import { openPostgresDocumentDirectory } from './postgres-document-directory.js';
import { openSqliteDocumentDirectory } from './sqlite-document-directory.js';

function clock() {
  let t = Date.parse('2026-11-25T10:00:00Z');
  return () => {
    t += 1000;
    return new Date(t);
  };
}

let postgres: PostgresServer;
let databases = 0;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});

async function freshPostgresUrl(): Promise<string> {
  return createDatabase(postgres, `directory_${++databases}`);
}

type Subject = { directory: DocumentDirectory; reopen?: () => DocumentDirectory; cleanup(): void };

const subjects: [string, () => Subject | Promise<Subject>][] = [
  ['memory', () => ({ directory: createMemoryDocumentDirectory(clock()), cleanup() {} })],
  [
    'sqlite',
    () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tandem-dir-'));
      const now = clock();
      return {
        directory: openSqliteDocumentDirectory({ dataDir, now }),
        reopen: () => openSqliteDocumentDirectory({ dataDir, now }),
        cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'postgres',
    async () => {
      const url = await freshPostgresUrl();
      const now = clock();
      return {
        directory: openPostgresDocumentDirectory({ url, now }),
        reopen: () => openPostgresDocumentDirectory({ url, now }),
        cleanup() {},
      };
    },
  ],
];

describe.each(subjects)('DocumentDirectory: %s', (_name, open) => {
  it('DOCS-5: create, rename and remove entries; list is newest first; unknown ids are reported', async () => {
    const { directory, reopen, cleanup } = await open();
    try {
      await directory.create('a', 'First');
      await directory.create('b', 'Second');
      await expect(directory.create('a', 'Again')).rejects.toThrow();
      expect((await directory.list()).map((d) => d.id)).toEqual(['b', 'a']);
      const renamed = await directory.rename('a', 'First, renamed');
      expect(renamed?.title).toBe('First, renamed');
      expect((renamed?.updatedAt ?? '') > (renamed?.createdAt ?? '')).toBe(true);
      expect((await directory.list()).map((d) => d.id)).toEqual(['a', 'b']);
      expect(await directory.rename('zzz', 'x')).toBeNull();
      expect(await directory.remove('b')).toBe(true);
      expect(await directory.remove('b')).toBe(false);
      expect(await directory.get('b')).toBeNull();
      if (reopen !== undefined) {
        await directory.close();
        const again = reopen();
        expect(await again.get('a')).toMatchObject({ title: 'First, renamed' });
        await again.close();
      }
    } finally {
      await directory.close();
      cleanup();
    }
  });
});

describe('DocumentDirectory on a shared Postgres', () => {
  it('DOCS-5/CLUSTER: nodes that start at once on a fresh database all create and use the table (no race on CREATE TABLE)', async () => {
    // Several rounds, each on a fresh database: the race between concurrent CREATE TABLE IF NOT EXISTS is narrow.
    for (let round = 0; round < 30; round++) {
      const url = await freshPostgresUrl();
      const nodes = Array.from({ length: 12 }, () => openPostgresDocumentDirectory({ url }));
      try {
        const lists = await Promise.allSettled(nodes.map((node) => node.list()));
        expect(lists.filter((l) => l.status === 'rejected')).toEqual([]);
      } finally {
        await Promise.all(nodes.map((node) => node.close()));
      }
    }
  });
});
