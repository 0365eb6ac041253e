import { describe, expect, it } from 'vitest';
import { SQLITE_SCHEMA, SQLITE_TABLES } from './sqlite-schema.js';

describe('SQLite schema', () => {
  it('creates exactly the tables it names, idempotently and without rowids', () => {
    const created = [...SQLITE_SCHEMA.matchAll(/CREATE TABLE IF NOT EXISTS (\w+) \(/g)].map((m) => m[1]);
    expect(created).toEqual([...SQLITE_TABLES]);
    expect(SQLITE_SCHEMA.match(/WITHOUT ROWID/g)).toHaveLength(SQLITE_TABLES.length);
  });

  it('keeps a checksum column beside every blob column', () => {
    expect(SQLITE_SCHEMA).toMatch(/snapshot\s+BLOB,\s+snapshot_sum\s+BLOB/);
    expect(SQLITE_SCHEMA).toMatch(/data BLOB\s+NOT NULL,\s+sum\s+BLOB\s+NOT NULL/);
  });
});
