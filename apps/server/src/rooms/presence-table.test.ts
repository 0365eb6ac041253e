import { describe, expect, it } from 'vitest';
import { PresenceTable } from './presence-table.js';

const entry = (clientId: number, clock: number, state: unknown) => ({
  clientId,
  clock,
  state: JSON.stringify(state),
});

describe('PresenceTable', () => {
  it('AW-1: applies a newer clock, ignores an older or equal one, and keeps the JSON text as sent', () => {
    const table = new PresenceTable(30_000);
    const first = { clientId: 1, clock: 2, state: '{"name":  "Ada"}' };
    expect(table.apply([first])).toEqual([first]);
    expect(table.apply([entry(1, 1, { name: 'old' }), entry(1, 2, { name: 'same clock' })])).toEqual([]);
    expect(table.entries()).toEqual([first]);
    expect(table.apply([entry(1, 3, { name: 'Grace' })])).toEqual([entry(1, 3, { name: 'Grace' })]);
    expect(table.states().get(1)).toEqual({ name: 'Grace' });
  });

  it('a removal wins at the same clock; an older update cannot revive the removed state', () => {
    const table = new PresenceTable(30_000);
    table.apply([entry(1, 5, { name: 'Ada' })]);
    expect(table.apply([entry(1, 5, null)])).toEqual([entry(1, 5, null)]);
    expect(table.has(1)).toBe(false);
    expect(table.apply([entry(1, 4, { name: 'stale' })])).toEqual([]);
    expect(table.entries()).toEqual([]);
  });

  it('records but does not relay the removal of a state it never held', () => {
    const table = new PresenceTable(30_000);
    expect(table.apply([entry(9, 3, null)])).toEqual([]);
    expect(table.apply([entry(9, 3, { late: true })])).toEqual([]);
    expect(table.apply([entry(9, 4, { late: true })])).toHaveLength(1);
  });

  it('AW-3: remove() bumps the clock and returns the removals; forget() lets the same clock apply again', () => {
    const table = new PresenceTable(30_000);
    table.apply([entry(1, 7, { a: 1 }), entry(2, 1, { b: 2 })]);
    expect(table.remove([1, 3])).toEqual([entry(1, 8, null)]);
    expect(table.remove([1])).toEqual([]);
    expect(table.apply([entry(1, 8, { a: 1 })])).toEqual([]);
    table.forget(1);
    expect(table.apply([entry(1, 7, { a: 1 })])).toHaveLength(1);
  });

  it('leaves states not renewed within the stale limit out of what joiners get, but not out of entries(ids)', () => {
    let now = 1_000;
    const table = new PresenceTable(30_000, () => now);
    table.apply([entry(1, 1, { a: 1 })]);
    now += 20_000;
    table.apply([entry(2, 1, { b: 1 })]);
    now += 15_000;
    expect(table.entries().map((e) => e.clientId)).toEqual([2]);
    expect(table.entries([1, 2]).map((e) => e.clientId)).toEqual([1, 2]);
    table.apply([entry(1, 2, { a: 2 })]);
    expect(table.entries().map((e) => e.clientId)).toEqual([1, 2]);
  });
});
