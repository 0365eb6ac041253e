import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@tandem/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccessChange, type AccessChangeLog, createMemoryAccessChangeLog } from '../auth/access-changes.js';
import { openPostgresAccessChangeLog } from './postgres-access-change-log.js';
import { createDatabase } from './postgres-database.fixture.js';
import { openSqliteAccessChangeLog } from './sqlite-access-change-log.js';

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});

let databases = 0;
async function freshPostgresUrl(): Promise<string> {
  return createDatabase(postgres, `access_${++databases}`);
}

type Subject = { log: AccessChangeLog; reopen?: () => AccessChangeLog; cleanup(): void };

const subjects: [string, () => Subject | Promise<Subject>][] = [
  ['memory', () => ({ log: createMemoryAccessChangeLog(), cleanup() {} })],
  [
    'sqlite',
    () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tandem-access-'));
      return {
        log: openSqliteAccessChangeLog({ dataDir }),
        reopen: () => openSqliteAccessChangeLog({ dataDir }),
        cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'postgres',
    async () => {
      const url = await freshPostgresUrl();
      return {
        log: openPostgresAccessChangeLog({ url }),
        reopen: () => openPostgresAccessChangeLog({ url }),
        cleanup() {},
      };
    },
  ],
];

const revoke = (subject: string | null, document: string | null, at: number, until: number): AccessChange => ({
  kind: 'revoke',
  subject,
  document,
  at,
  until,
});

describe.each(subjects)('AccessChangeLog: %s', (_name, open) => {
  it('REVOKE-2: keeps changes for their subject and for everyone, oldest first, until they lapse (and across a reopen)', async () => {
    const { log, reopen, cleanup } = await open();
    try {
      const forAlice = revoke('alice', null, 1_000, 10_000);
      const forEveryone = revoke(null, 'board', 2_000, 5_000);
      const push: AccessChange = {
        kind: 'permissions',
        subject: 'alice',
        rules: [{ pattern: 'team/*', permission: 'read' }],
        at: 3_000,
        until: 20_000,
      };
      await log.record(forAlice);
      await log.record(forEveryone);
      await log.record(revoke('bob', null, 2_500, 10_000));
      await log.record(push);
      expect(await log.active('alice', 4_000)).toEqual([forAlice, forEveryone, push]);
      expect(await log.active('alice', 6_000)).toEqual([forAlice, push]);
      expect(await log.active('carol', 4_000)).toEqual([forEveryone]);
      if (reopen !== undefined) {
        await log.close();
        const again = reopen();
        try {
          expect(await again.active('alice', 4_000)).toEqual([forAlice, forEveryone, push]);
        } finally {
          await again.close();
        }
      }
    } finally {
      await log.close();
      cleanup();
    }
  });
});
