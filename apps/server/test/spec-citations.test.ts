import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('SPEC.md citations across the repository', () => {
  it('DOC-1: every rule ID a test title cites anywhere in the repository is defined in SPEC.md', () => {
    const spec = readFileSync(join(ROOT, 'packages/protocol/SPEC.md'), 'utf8');
    const defined = new Set([...spec.matchAll(/^- \*\*([A-Z]+-\d+)\*\*/gm)].map((m) => m[1]));
    const files = ['apps', 'packages', 'e2e', 'bench', 'deploy']
      .map((dir) => join(ROOT, dir))
      .filter((dir) => {
        try {
          return statSync(dir).isDirectory();
        } catch {
          return false;
        }
      })
      .flatMap(testFiles);
    const missing: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      // Every ID of a title's leading citation ("ACK-1/YJS-5: …", "AUTH-1, AUTH-3: …"), not only the first.
      for (const match of text.matchAll(
        /\b(?:it|test)(?:\.each\([\s\S]*?\))?\(\s*['"`]((?:[A-Z]+-\d+\s*[/,]\s*)*[A-Z]+-\d+)\s*:/g,
      )) {
        for (const id of (match[1] as string).split(/\s*[/,]\s*/)) {
          if (!defined.has(id)) missing.push(`${id} (${file.slice(ROOT.length)})`);
        }
      }
    }
    expect(files.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});
