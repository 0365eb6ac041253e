import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteDocStore } from '/work/main/apps/server/dist/storage/sqlite-doc-store.js';
import { SQLITE_FILE } from '/work/main/apps/server/dist/storage/sqlite-engine.js';
const results = [];
for (const delay of [0, 5, 10, 20, 30, 40, 50, 60, 80, 100]) {
  const dir = mkdtempSync(join(tmpdir(), 'close-'));
  const s0 = await openSqliteDocStore({ dataDir: dir });
  await s0.append([{ docId: 'd', update: new Uint8Array([1]) }]);
  await s0.close();
  const raw = new Database(join(dir, SQLITE_FILE));
  raw.pragma('wal_autocheckpoint = 0');
  const ins = raw.prepare('INSERT INTO updates (doc, seq, data, sum) VALUES (?, ?, ?, ?)');
  raw.transaction(() => { for (let i = 0; i < 3000; i++) ins.run('big', i + 1, Buffer.alloc(10000, i), Buffer.alloc(4)); })();
  const t0 = Date.now();
  const p = openSqliteDocStore({ dataDir: dir }).then(async (s) => { await s.append([{ docId: 'd', update: new Uint8Array([2]) }]); await s.close(); return 'ok'; }, (e) => 'fail: ' + e.message);
  await new Promise((r) => setTimeout(r, delay));
  const c0 = Date.now(); raw.close(); const closeMs = Date.now() - c0;
  results.push([delay, closeMs, await p, Date.now() - t0]);
  rmSync(dir, { recursive: true, force: true });
}
console.log(results);
