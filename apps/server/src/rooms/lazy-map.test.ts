import { describe, expect, it } from 'vitest';
import { LazyMap } from './lazy-map.js';

describe('LazyMap', () => {
  it('behaves as a Map for get, has, set, delete, size and iteration, empty or not', () => {
    const map = new LazyMap<number, string>();
    expect(map.size).toBe(0);
    expect(map.get(1)).toBeUndefined();
    expect(map.has(1)).toBe(false);
    expect(map.delete(1)).toBe(false);
    expect([...map]).toEqual([]);
    expect(map.set(1, 'a').set(2, 'b')).toBe(map);
    map.set(1, 'c');
    expect(map.size).toBe(2);
    expect(map.get(1)).toBe('c');
    expect(map.has(2)).toBe(true);
    expect([...map]).toEqual([
      [1, 'c'],
      [2, 'b'],
    ]);
    expect(map.delete(1)).toBe(true);
    expect([...map]).toEqual([[2, 'b']]);
  });

  it('allows deleting the entries it is iterating over, as a Map does', () => {
    const map = new LazyMap<number, number>();
    for (let i = 0; i < 5; i++) map.set(i, i * i);
    for (const [key, value] of map) if (value % 2 === 0) map.delete(key);
    expect([...map]).toEqual([
      [1, 1],
      [3, 9],
    ]);
  });
});
