import { describe, expect, it } from 'vitest';
import { parseUser, randomUser, USER_COLORS } from './local-user.js';

describe('randomUser', () => {
  it('makes a two-word name and one of the palette colors', () => {
    const user = randomUser(() => 0.5);
    expect(user.name).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
    expect(USER_COLORS).toContain(user.color);
  });
});

describe('parseUser', () => {
  it('accepts a stored user and rejects anything else', () => {
    expect(parseUser('{"name":"Ada","color":"#fff"}')).toEqual({ name: 'Ada', color: '#fff' });
    expect(parseUser('{"name":"  ","color":"#fff"}')).toBeNull();
    expect(parseUser('{"name":"Ada"}')).toBeNull();
    expect(parseUser('not json')).toBeNull();
    expect(parseUser(null)).toBeNull();
  });
});
