import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nowSeconds, signHs256Token, unsignedToken } from './tokens.js';

const decode = (part: string | undefined) => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));

describe('signHs256Token', () => {
  it('writes an HS256 header, the claims as given, and the HMAC-SHA256 of both', () => {
    const claims = { sub: 'user-1', aud: 'tandem', exp: 2_000_000_000, docs: { '*': 'write' } };
    const [header, payload, signature] = signHs256Token('secret', claims).split('.');
    expect(decode(header)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decode(payload)).toEqual(claims);
    expect(signature).toBe(createHmac('sha256', 'secret').update(`${header}.${payload}`).digest('base64url'));
  });

  it('signs differently under another secret', () => {
    expect(signHs256Token('a', { sub: 'x' })).not.toBe(signHs256Token('b', { sub: 'x' }));
  });
});

describe('unsignedToken', () => {
  it('says alg none and carries an empty signature', () => {
    const token = unsignedToken({ sub: 'mallory' });
    const [header, payload, signature] = token.split('.');
    expect(decode(header)).toEqual({ alg: 'none', typ: 'JWT' });
    expect(decode(payload)).toEqual({ sub: 'mallory' });
    expect(signature).toBe('');
  });
});

describe('nowSeconds', () => {
  it('counts whole seconds since the epoch', () => {
    const before = Math.floor(Date.now() / 1000);
    const now = nowSeconds();
    expect(Number.isInteger(now)).toBe(true);
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(before + 1);
  });
});
