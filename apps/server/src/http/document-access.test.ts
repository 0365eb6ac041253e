import { nowSeconds, signHs256Token, unsignedToken } from '@tandem/test-utils';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../auth/token-verifier.js';
import { bearerMatches, createDocumentAccess, type DocumentNeed } from './document-access.js';

const SECRET = 'document-access-test-secret';
const AUDIENCE = 'tandem';

function token(docs: Record<string, string>, claims: Record<string, unknown> = {}): string {
  return signHs256Token(SECRET, { sub: 'u1', name: 'Ada', aud: AUDIENCE, exp: nowSeconds() + 60, docs, ...claims });
}

/** A Fastify app with one route per need that answers with who was admitted. */
async function appWith(auth: boolean, adminToken: string | null): Promise<FastifyInstance> {
  const verifier = auth
    ? createTokenVerifier({ secret: SECRET, publicKey: null, jwksUrl: null, audience: AUDIENCE })
    : null;
  const access = createDocumentAccess({ verifier, adminToken });
  const app = Fastify();
  for (const need of ['read', 'write'] as DocumentNeed[]) {
    app.get(`/${need}/:id`, async (request, reply) => {
      const caller = await access.admit(request, reply, (request.params as { id: string }).id, need);
      if (caller === null) return reply;
      return { user: caller.identity?.userId ?? null, admin: caller.admin, canWrite: caller.canWrite };
    });
  }
  await app.ready();
  return app;
}

describe('document access over HTTP', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  const open = async (auth: boolean, adminToken: string | null = null) => {
    const app = await appWith(auth, adminToken);
    apps.push(app);
    return app;
  };

  it('AUTH-8: a token is taken from the bearer header, the query and the cookie, and its docs rule decides', async () => {
    const app = await open(true);
    const reader = token({ 'team/*': 'read' });
    const byHeader = await app.inject({ url: '/read/team%2Fa', headers: { authorization: `Bearer ${reader}` } });
    expect(byHeader.statusCode).toBe(200);
    expect(byHeader.json()).toEqual({ user: 'u1', admin: false, canWrite: false });
    expect((await app.inject({ url: `/read/team%2Fa?token=${reader}` })).statusCode).toBe(200);
    expect(
      (await app.inject({ url: '/read/team%2Fa', headers: { cookie: `tandem_token=${reader}` } })).statusCode,
    ).toBe(200);
    const writer = token({ 'team/*': 'write' });
    const write = await app.inject({ url: '/write/team%2Fa', headers: { authorization: `Bearer ${writer}` } });
    expect(write.json()).toEqual({ user: 'u1', admin: false, canWrite: true });
  });

  it('AUTH-8: no token or a bad one is 401, no access or read access for a write is 403, each naming the reason', async () => {
    const app = await open(true);
    const none = await app.inject({ url: '/read/doc' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: 'unauthenticated', message: 'authentication required' });
    const unsigned = await app.inject({
      url: '/read/doc',
      headers: { authorization: `Bearer ${unsignedToken({ sub: 'u1', aud: AUDIENCE, exp: nowSeconds() + 60 })}` },
    });
    expect(unsigned.statusCode).toBe(401);
    const expired = await app.inject({
      url: '/read/doc',
      headers: { authorization: `Bearer ${token({ '*': 'write' }, { exp: nowSeconds() - 10 })}` },
    });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().message).toMatch(/expired/);
    const elsewhere = await app.inject({
      url: '/read/doc',
      headers: { authorization: `Bearer ${token({ 'other/*': 'write' })}` },
    });
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json()).toEqual({ error: 'forbidden', message: 'not allowed on document "doc"' });
    const readOnly = await app.inject({
      url: '/write/doc',
      headers: { authorization: `Bearer ${token({ doc: 'read' })}` },
    });
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json().message).toMatch(/read-only access to document "doc"/);
  });

  it('AUTH-8: the admin token has full access; open mode lets everyone read and write', async () => {
    const app = await open(true, 'admin-secret');
    const admin = await app.inject({ url: '/write/doc', headers: { authorization: 'Bearer admin-secret' } });
    expect(admin.json()).toEqual({ user: null, admin: true, canWrite: true });
    expect(
      (await app.inject({ url: '/write/doc', headers: { authorization: 'Bearer admin-secreT' } })).statusCode,
    ).toBe(401);
    const openApp = await open(false);
    expect((await openApp.inject({ url: '/write/doc' })).json()).toEqual({ user: null, admin: false, canWrite: true });
  });

  it('bearerMatches compares the whole token', () => {
    expect(bearerMatches('Bearer abc', 'abc')).toBe(true);
    expect(bearerMatches('bearer abc', 'abc')).toBe(true);
    expect(bearerMatches('Bearer abcd', 'abc')).toBe(false);
    expect(bearerMatches(undefined, 'abc')).toBe(false);
  });
});
