import { describe, expect, it } from 'vitest';
import { isOriginAllowed } from './origin.js';
import { parseDocsClaim, permissionFor } from './permissions.js';
import { tokenFromRequest } from './token-source.js';

describe('permissionFor', () => {
  const rules =
    parseDocsClaim({ 'team-a/*': 'write', 'team-a/board': 'read', 'public/*': 'read', 'team-a/secret*': 'none' }) ?? [];
  it.each([
    ['team-a/notes', 'write'],
    ['team-a/board', 'read'],
    ['team-a/secret-plans', 'none'],
    ['public/handbook', 'read'],
    ['team-b/notes', 'none'],
    ['team-a', 'none'],
  ])('AUTH-3: %s → %s', (doc, expected) => {
    expect(permissionFor(rules, doc)).toBe(expected);
  });

  it('AUTH-3: "*" matches every document; on equal specificity the stricter rule wins', () => {
    expect(permissionFor(parseDocsClaim({ '*': 'read' }) ?? [], 'anything/at/all')).toBe('read');
    expect(permissionFor(parseDocsClaim({ 'a*': 'write', '*a': 'read' }) ?? [], 'aa')).toBe('read');
    expect(permissionFor(parseDocsClaim({ 'x*y*z': 'write' }) ?? [], 'x-1-y-2-z')).toBe('write');
    expect(permissionFor(parseDocsClaim({ 'x*y*z': 'write' }) ?? [], 'xz')).toBe('none');
  });

  it('AUTH-3: malformed docs claims are rejected', () => {
    expect(parseDocsClaim(['team-a/*'])).toBeNull();
    expect(parseDocsClaim({ 'team-a/*': 'admin' })).toBeNull();
    expect(parseDocsClaim('write')).toBeNull();
    expect(parseDocsClaim(undefined)).toEqual([]);
  });
});

describe('isOriginAllowed', () => {
  it.each([
    [undefined, 'tandem.example.com', null, true],
    ['https://tandem.example.com', 'tandem.example.com', null, true],
    ['http://localhost:5173', 'tandem.example.com', null, true],
    ['http://127.0.0.1:1234', '127.0.0.1:1234', null, true],
    ['null', 'tandem.example.com', null, false],
    ['https://evil.example', 'tandem.example.com', null, false],
    ['https://tandem.example.com.evil.com', 'tandem.example.com', null, false],
    ['https://app.example.com', 'tandem.example.com', ['https://app.example.com'], true],
    ['https://app.example.com.evil.com', 'tandem.example.com', ['https://app.example.com'], false],
    ['http://app.example.com', 'tandem.example.com', ['https://app.example.com'], false],
    ['http://localhost:5173', 'tandem.example.com', ['https://app.example.com'], false],
    ['chrome-extension://abc', 'tandem.example.com', null, false],
    ['not a url', 'tandem.example.com', null, false],
  ])('ORIGIN-1: Origin %s (Host %s, allowed %j) → %s', (origin, host, allowed, expected) => {
    expect(isOriginAllowed(origin, host, allowed)).toBe(expected);
  });
});

describe('tokenFromRequest', () => {
  it('AUTH-2: reads the bearer header, then the query parameter, then the cookie', () => {
    expect(tokenFromRequest({ url: '/sync/a?token=q', headers: { authorization: 'Bearer h' } })).toBe('h');
    expect(tokenFromRequest({ url: '/sync/a?x=1&token=q', headers: {} })).toBe('q');
    expect(tokenFromRequest({ url: '/sync/a', headers: { cookie: 'a=b; tandem_token=c%3D; z=1' } })).toBe('c=');
    expect(tokenFromRequest({ url: '/sync/a?token=', headers: { authorization: 'Basic xyz' } })).toBeNull();
  });
});
