import { describe, expect, it } from 'vitest';
import type { TextChange } from './history-api.js';
import {
  authorNames,
  changeBlocks,
  changeTotals,
  formatBytes,
  kindName,
  versionTime,
  versionTitle,
} from './history-format.js';

const runs = (changes: ReturnType<typeof changeBlocks>) =>
  changes.map((block) => block.runs.map((run) => [run.type, run.text]));

describe('changeBlocks (VER-17)', () => {
  it('splits at block breaks and keeps each run’s type', () => {
    const changes: TextChange[] = [
      { type: 'equal', text: 'Hello' },
      { type: 'insert', text: ' world' },
      { type: 'equal', text: '.\nSecond' },
      { type: 'delete', text: ' line' },
    ];
    expect(runs(changeBlocks(changes))).toEqual([
      [
        ['equal', 'Hello'],
        ['insert', ' world'],
        ['equal', '.'],
      ],
      [
        ['equal', 'Second'],
        ['delete', ' line'],
      ],
    ]);
  });

  it('shows an inserted paragraph as its own block, all inserted', () => {
    const blocks = changeBlocks([
      { type: 'equal', text: 'One' },
      { type: 'insert', text: '\nTwo' },
    ]);
    expect(runs(blocks)).toEqual([[['equal', 'One']], [['insert', 'Two']]]);
  });

  it('merges adjacent runs of one type, drops empty ones and gives every run and block a distinct offset', () => {
    const blocks = changeBlocks([
      { type: 'insert', text: 'a' },
      { type: 'insert', text: 'b' },
      { type: 'equal', text: '' },
      { type: 'delete', text: 'c\n\nd' },
    ]);
    expect(runs(blocks)).toEqual([
      [
        ['insert', 'ab'],
        ['delete', 'c'],
      ],
      [],
      [['delete', 'd']],
    ]);
    const offsets = blocks.flatMap((b) => b.runs.map((r) => r.at));
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(new Set(blocks.map((b) => b.at)).size).toBe(blocks.length);
  });

  it('makes one empty block of no changes', () => {
    expect(runs(changeBlocks([]))).toEqual([[]]);
  });
});

describe('changeTotals', () => {
  it('counts inserted and deleted characters, not block breaks', () => {
    expect(
      changeTotals([
        { type: 'equal', text: 'same' },
        { type: 'insert', text: 'ab\ncd' },
        { type: 'delete', text: 'xyz' },
      ]),
    ).toEqual({ inserted: 4, deleted: 3 });
  });
});

describe('version labels (VER-16)', () => {
  const version = { kind: 'auto' as const, reason: null, label: null, authors: [] };

  it('titles a version by its label, else by its kind', () => {
    expect(versionTitle({ ...version, kind: 'named', label: 'Sent to legal' })).toBe('Sent to legal');
    expect(versionTitle(version)).toBe('Automatic version');
    expect(versionTitle({ ...version, kind: 'implicit', reason: 'import', label: '  ' })).toBe('Before import version');
    expect(kindName({ kind: 'implicit', reason: 'restore' })).toBe('Before restore');
  });

  it('names the authors once each, in order', () => {
    const authors = [
      { userId: 'a', name: 'Alice' },
      { userId: 'b', name: 'Bob' },
      { userId: 'a2', name: 'Alice' },
    ];
    expect(authorNames({ authors })).toBe('Alice, Bob');
    expect(authorNames({ authors: [{ userId: null, name: 'anonymous' }] })).toBe('anonymous');
    expect(authorNames({ authors: [] })).toBe('nobody');
  });

  it('shows the time alone today and the date otherwise; a bad timestamp as given', () => {
    const now = new Date('2026-12-03T15:00:00Z');
    expect(versionTime('2026-12-03T14:30:05Z', now, 'en-GB')).toMatch(/\d{2}:\d{2}:\d{2}/);
    expect(versionTime('2026-11-01T14:30:05Z', now, 'en-GB')).toMatch(/2026/);
    expect(versionTime('not a date', now)).toBe('not a date');
  });

  it('formats sizes', () => {
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(14_200)).toBe('14.2 kB');
    expect(formatBytes(1_048_576)).toBe('1.0 MB');
  });
});
