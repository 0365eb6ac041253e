import { describe, expect, it } from 'vitest';
import { initials, presenceUsers } from './presence.js';

describe('presenceUsers', () => {
  it('lists users with a name, local first, then by name', () => {
    const states = new Map<number, Record<string, unknown>>([
      [3, { user: { name: 'Zed', color: '#f00' } }],
      [1, { user: { name: 'Bea', color: '#0f0' } }],
      [2, { user: { name: 'Me', color: '#00f' } }],
      [4, {}],
    ]);
    expect(presenceUsers(states, 2).map((u) => [u.name, u.isLocal])).toEqual([
      ['Me', true],
      ['Bea', false],
      ['Zed', false],
    ]);
  });
});

describe('initials', () => {
  it('takes the first letters of the first and last words', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('Grace Brewster Hopper')).toBe('GH');
    expect(initials('  ada ')).toBe('A');
    expect(initials('')).toBe('?');
  });
});
