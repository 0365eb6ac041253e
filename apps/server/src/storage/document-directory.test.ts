import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryDocumentDirectory, type DocumentDirectory } from './document-directory.js';
import { openSqliteDocumentDirectory } from './sqlite-document-directory.js';

function clock() {
  let t = Date.parse('2026-11-25T10:00:00Z');
  return () => {
    t += 1000;
    return new Date(t);
  };
}

const subjects: [string, () => { directory: DocumentDirectory; reopen?: () => DocumentDirectory; cleanup(): void }][] =
  [
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
  ];

describe.each(subjects)('DocumentDirectory: %s', (_name, open) => {
  it('DOCS-5: create, rename and remove entries; list is newest first; unknown ids are reported', async () => {
    const { directory, reopen, cleanup } = open();
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
