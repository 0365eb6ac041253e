import { CloseCode, encode, NoticeCode, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { nowSeconds, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type Cluster, startCluster } from './helpers/cluster.js';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { signToken, TEST_SECRET } from './helpers/tokens.js';

const ADMIN_TOKEN = 'admin-token-0123456789';

function textUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('content').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

/** POSTs an admin call to a node. */
async function admin(httpUrl: string, path: string, body: unknown) {
  const response = await fetch(`${httpUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The document's text as a node's admin export shows it. */
async function exportedText(httpUrl: string, doc: string): Promise<string> {
  const response = await fetch(`${httpUrl}/admin/documents/${encodeURIComponent(doc)}/export?format=text`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return response.text();
}

/** A raw client that also notes when its connection closed. */
function connectTimed(url: string, protocols: string[] = []): RawClient & { closedAt: () => number | undefined } {
  const client = connectRaw(url, protocols);
  let closedAt: number | undefined;
  client.ws.once('close', () => {
    closedAt = Date.now();
  });
  return Object.assign(client, { closedAt: () => closedAt });
}

describe('access changes mid-session (two nodes, Redis fan-out, shared Postgres)', () => {
  let cluster: Cluster | undefined;
  const raw: RawClient[] = [];

  afterEach(async () => {
    for (const client of raw.splice(0)) client.close();
    await cluster?.stop();
    cluster = undefined;
  });

  const start = async () => {
    cluster = await startCluster({ nodes: 2, env: { AUTH_SECRET: TEST_SECRET, ADMIN_TOKEN } });
    const [one, two] = cluster.nodes.map((node) => node.server);
    if (one === undefined || two === undefined) throw new Error('two nodes expected');
    return { one, two };
  };

  it("REVOKE-1, REVOKE-3: a user's sessions on two nodes close with 4403 within 1 s of the admin call, and their reconnects are refused", async () => {
    const { one, two } = await start();
    const alice = await signToken({ sub: 'alice', docs: { '*': 'write' } });
    const bob = await signToken({ sub: 'bob', docs: { '*': 'write' } });
    const onOne = connectTimed(`${one.syncUrl}/plans?token=${alice}`);
    const onTwo = connectTimed(`${two.syncUrl}/notes?token=${alice}`, [TANDEM_SUBPROTOCOL]);
    const bystander = connectTimed(`${two.syncUrl}/plans?token=${bob}`, [TANDEM_SUBPROTOCOL]);
    raw.push(onOne, onTwo, bystander);
    await Promise.all([onOne, onTwo, bystander].map((c) => c.waitForFrame(frameOfType('sync-step1'), 'joined')));

    const called = Date.now();
    const revoked = await admin(one.httpUrl, '/admin/access/revoke', { subject: 'alice' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ change: { kind: 'revoke', subject: 'alice', document: null }, closedHere: 1 });
    const [closedOne, closedTwo] = await Promise.all([onOne.waitForClose(), onTwo.waitForClose()]);
    expect(closedOne).toEqual({ code: CloseCode.forbidden, reason: 'access revoked' });
    expect(closedTwo).toEqual({ code: CloseCode.forbidden, reason: 'access revoked' });
    const latencies = [onOne, onTwo].map((c) => (c.closedAt() as number) - called);
    console.log(`revocation: sessions closed ${latencies.join(' ms, ')} ms after the admin call (node 1, node 2)`);
    for (const latency of latencies) expect(latency).toBeLessThan(1_000);

    // Bob is untouched: his session on node 2 still writes, and node 1 has his edit.
    bystander.send(encode.syncUpdate(textUpdate('bob was here')));
    await bystander.waitForFrame(frameOfType('ack'), "bob's ack");
    await waitFor(async () => (await exportedText(one.httpUrl, 'plans')) === 'bob was here', {
      what: "bob's edit on node 1",
    });
    expect(bystander.closeEvent).toBeUndefined();

    // The same token is refused on both nodes, whichever document it asks for: 403 at the upgrade,
    // or 4403 for a document opened on a multiplexed connection.
    for (const url of [`${one.syncUrl}/plans?token=${alice}`, `${two.syncUrl}/elsewhere?token=${alice}`]) {
      const again = connectRaw(url);
      raw.push(again);
      await expect(again.opened()).rejects.toThrow('HTTP 403');
    }
    const multiplexed = connectRaw(`${two.syncUrl}?token=${alice}`, [TANDEM_SUBPROTOCOL]);
    raw.push(multiplexed);
    await multiplexed.opened();
    multiplexed.send(encode.open('plans', ''));
    const refused = await multiplexed.waitForFrame(frameOfType('close-doc'), 'the multiplexed refusal');
    expect(refused.code).toBe(CloseCode.forbidden);

    // A token issued after the revocation (iat counts whole seconds) carries the application's new decision.
    const at = (revoked.body.change as { at: number }).at;
    await waitFor(() => nowSeconds() * 1000 > at, { what: 'the second after the revocation' });
    const fresh = connectRaw(`${two.syncUrl}/plans?token=${await signToken({ sub: 'alice' })}`);
    raw.push(fresh);
    await fresh.waitForFrame(frameOfType('sync-step1'), 'the fresh token admitted');
    expect(fresh.closeEvent).toBeUndefined();
  });

  it('REVOKE-1: on a multiplexed connection opened before the revocation, open documents close and new opens are refused', async () => {
    const { one, two } = await start();
    const frank = await signToken({ sub: 'frank', docs: { '*': 'write' } });
    const mux = connectRaw(`${two.syncUrl}?token=${frank}`, [TANDEM_SUBPROTOCOL]);
    raw.push(mux);
    await mux.opened();
    mux.send(encode.open('first'));
    await mux.waitForFrame(
      (f): f is Extract<typeof f, { type: 'doc' }> => f.type === 'doc' && f.doc === 'first',
      'first open',
    );
    expect((await admin(one.httpUrl, '/admin/access/revoke', { subject: 'frank' })).status).toBe(200);
    const closedFirst = await mux.waitForFrame(
      (f): f is Extract<typeof f, { type: 'close-doc' }> => f.type === 'close-doc' && f.doc === 'first',
      'first closed',
    );
    expect(closedFirst).toMatchObject({ code: CloseCode.forbidden, reason: 'access revoked' });
    // The connection's identity was verified before the change; a later open still gets it.
    mux.send(encode.open('second'));
    const refused = await mux.waitForFrame(
      (f): f is Extract<typeof f, { type: 'close-doc' }> => f.type === 'close-doc' && f.doc === 'second',
      'second refused',
    );
    expect(refused.code).toBe(CloseCode.forbidden);
  });

  it('REVOKE-1: a document revocation closes only that document, on every node', async () => {
    const { one, two } = await start();
    const carol = await signToken({ sub: 'carol', docs: { '*': 'write' } });
    const secret = connectTimed(`${two.syncUrl}/secret?token=${carol}`, [TANDEM_SUBPROTOCOL]);
    const open = connectTimed(`${two.syncUrl}/open?token=${carol}`, [TANDEM_SUBPROTOCOL]);
    raw.push(secret, open);
    await Promise.all([secret, open].map((c) => c.waitForFrame(frameOfType('sync-step1'))));
    const revoked = await admin(one.httpUrl, '/admin/access/revoke', { document: 'secret' });
    expect(revoked).toMatchObject({ status: 200, body: { closedHere: 0 } });
    expect(await secret.waitForClose()).toEqual({ code: CloseCode.forbidden, reason: 'access revoked' });
    open.send(encode.ping(1));
    await open.waitForFrame((f): f is Extract<typeof f, { type: 'pong' }> => f.type === 'pong' && f.id === 1);
    expect(open.closeEvent).toBeUndefined();
  });

  it('REVOKE-4: a permission pushed as read makes the next edit refused without a reconnect (AUTH-4), on another node', async () => {
    const { one, two } = await start();
    const dave = await signToken({ sub: 'dave', docs: { 'team/*': 'write' } });
    const editor = connectTimed(`${two.syncUrl}/team%2Fboard?token=${dave}`, [TANDEM_SUBPROTOCOL]);
    raw.push(editor);
    await editor.waitForFrame(frameOfType('sync-step1'));
    editor.send(encode.syncUpdate(textUpdate('before')));
    await editor.waitForFrame(frameOfType('ack'));

    const pushed = await admin(one.httpUrl, '/admin/access/permissions', {
      subject: 'dave',
      docs: { 'team/*': 'read' },
    });
    expect(pushed).toMatchObject({ status: 200, body: { change: { kind: 'permissions', subject: 'dave' } } });
    // Once node 2 has applied the change, the next edit on the same socket is refused with the read-only notice.
    await waitFor(() => two.process.lines.some((line) => line.includes('access change applied')), {
      what: 'the change applied on node 2',
    });
    editor.send(encode.syncUpdate(textUpdate('after')));
    await editor.waitForFrame(
      (f): f is Extract<typeof f, { type: 'notice' }> => f.type === 'notice' && f.code === NoticeCode.readOnly,
      'the read-only notice',
    );
    editor.send(encode.ping(2));
    await editor.waitForFrame((f): f is Extract<typeof f, { type: 'pong' }> => f.type === 'pong' && f.id === 2);
    expect(editor.closeEvent).toBeUndefined();
    expect(await exportedText(two.httpUrl, 'team/board')).toBe('before');
    expect(await exportedText(one.httpUrl, 'team/board')).toBe('before');

    // Pushing "none" closes the session.
    await admin(one.httpUrl, '/admin/access/permissions', { subject: 'dave', docs: {} });
    expect(await editor.waitForClose()).toEqual({ code: CloseCode.forbidden, reason: 'permission withdrawn' });
  });

  it('REVOKE-1: bad admin calls get a 400 naming the problem, and a missing admin token a 401', async () => {
    const { one } = await start();
    expect(await admin(one.httpUrl, '/admin/access/revoke', {})).toEqual({
      status: 400,
      body: { error: 'bad_request', message: 'name a subject, a document, or both' },
    });
    expect((await admin(one.httpUrl, '/admin/access/revoke', { subject: 'x', until: 1 })).body.message).toContain(
      'until must be in the future',
    );
    expect((await admin(one.httpUrl, '/admin/access/revoke', { subject: 'x', extra: true })).status).toBe(400);
    expect(
      (await admin(one.httpUrl, '/admin/access/permissions', { subject: 'x', docs: { a: 'admin' } })).body,
    ).toEqual({
      error: 'bad_request',
      message: 'docs must be an object of document patterns to "write", "read" or "none"',
    });
    const anonymous = await fetch(`${one.httpUrl}/admin/access/revoke`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
  });
});
