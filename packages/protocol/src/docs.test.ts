// Keeps SPEC.md and PROTOCOL.md in step with the code and the tests.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODE_TABLE } from './close-codes.js';
import { DECODE_ERROR_KINDS } from './decode.js';
import { MessageType } from './message-types.js';
import { NoticeCode } from './notice-codes.js';

const srcDir = new URL('./', import.meta.url);
const spec = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8');
const protocol = readFileSync(new URL('../PROTOCOL.md', import.meta.url), 'utf8');

const definedRules = new Set([...spec.matchAll(/^- \*\*([A-Z]+-\d+)\*\*/gm)].map((m) => m[1] as string));

/** Rule IDs at the start of a test title: it('FRAME-3: …') / it.each(…)('NEG-1: …'). */
function citedRules(): Map<string, string[]> {
  const cited = new Map<string, string[]>();
  for (const file of readdirSync(srcDir).filter((name) => name.endsWith('.test.ts'))) {
    const text = readFileSync(new URL(file, srcDir), 'utf8');
    for (const match of text.matchAll(/\bit(?:\.each\([\s\S]*?\))?\(\s*['"`]([A-Z]+-\d+):/g)) {
      const id = match[1] as string;
      cited.set(id, [...(cited.get(id) ?? []), file]);
    }
  }
  return cited;
}

describe('SPEC.md', () => {
  it('DOC-1: every rule ID cited by a test title is defined in SPEC.md', () => {
    const cited = citedRules();
    expect(cited.size).toBeGreaterThan(10);
    const undefinedRules = [...cited.keys()].filter((id) => !definedRules.has(id));
    expect(undefinedRules).toEqual([]);
  });

  it('DOC-1: rule IDs are unique and numbered from 1 without gaps within each group', () => {
    const ids = [...spec.matchAll(/^- \*\*([A-Z]+)-(\d+)\*\*/gm)].map((m) => [m[1] as string, Number(m[2])] as const);
    expect(new Set(ids.map(([group, n]) => `${group}-${n}`)).size).toBe(ids.length);
    const byGroup = new Map<string, number[]>();
    for (const [group, n] of ids) byGroup.set(group, [...(byGroup.get(group) ?? []), n]);
    for (const [group, numbers] of byGroup) {
      expect(numbers, group).toEqual(numbers.map((_, i) => i + 1));
    }
  });

  it('DOC-1: the rules the brief fixed are all present', () => {
    const required = [
      ...['FRAME-1', 'FRAME-2', 'FRAME-3', 'FRAME-4', 'FRAME-5', 'FRAME-6'],
      ...['NEG-1', 'NEG-2', 'NEG-3', 'SYNC-1', 'SYNC-2', 'SYNC-3', 'SYNC-4'],
      ...['AW-1', 'AW-2', 'AW-3', 'AW-4', 'EXT-1', 'EXT-2', 'EXT-3', 'EXT-4'],
      ...['CONN-1', 'CONN-2', 'CONN-3', 'CONN-4', 'ROOM-1', 'ROOM-2', 'ROOM-3'],
    ];
    expect(required.filter((id) => !definedRules.has(id))).toEqual([]);
  });
});

describe('PROTOCOL.md', () => {
  it('DOC-1: lists every message type in the frame table', () => {
    for (const [name, type] of Object.entries(MessageType)) {
      expect(protocol, name).toMatch(new RegExp(`^\\|\\s*${type} \\|`, 'm'));
    }
  });

  it('DOC-1: lists every close code', () => {
    for (const code of Object.keys(CLOSE_CODE_TABLE)) {
      expect(protocol, code).toMatch(new RegExp(`^\\|\\s*${code} \\|`, 'm'));
    }
  });

  it('DOC-1: lists every notice code', () => {
    for (const [name, code] of Object.entries(NoticeCode)) {
      expect(protocol, name).toMatch(new RegExp(`^\\|\\s*${code} \\| ${name}\\s*\\|`, 'm'));
    }
  });

  it('DOC-1: lists every decode error kind', () => {
    for (const kind of DECODE_ERROR_KINDS) expect(protocol).toMatch(new RegExp(`^\\| \`${kind}\`\\s*\\|`, 'm'));
  });
});
