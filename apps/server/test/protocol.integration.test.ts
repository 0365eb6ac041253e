import { CloseCode, encode, encodeFrame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('wire protocol at the server', () => {
  let server: TestServer | undefined;
  const raw: RawClient[] = [];

  afterEach(async () => {
    for (const c of raw.splice(0)) c.close();
    await server?.close();
  });

  const open = async (room: string, protocols: string[] = []) => {
    const client = connectRaw(`${(server as TestServer).syncUrl}/${room}`, protocols);
    raw.push(client);
    await client.opened();
    return client;
  };

  it('NEG-1/EXT-2: tandem.v1 is negotiated and an app-level ping gets a pong with the same id', async () => {
    server = await startTestServer();
    const client = await open('ping', ['tandem.v2', TANDEM_SUBPROTOCOL]);
    expect(client.ws.protocol).toBe(TANDEM_SUBPROTOCOL);
    client.send(encode.ping(31_337));
    const pong = await client.waitForFrame(frameOfType('pong'));
    expect(pong.id).toBe(31_337);
  });

  it('NEG-2: without a tandem offer the session is plain y-websocket and gets no extension frames', async () => {
    server = await startTestServer();
    const client = await open('plain');
    expect(client.ws.protocol).toBe('');
    await client.waitForFrame(frameOfType('sync-step1'));
    client.send(encode.syncStep1(new Uint8Array([0])));
    await client.waitForFrame(frameOfType('sync-step2'));
    expect(client.frames.some((f) => ['ack', 'pong', 'notice', 'ping'].includes(f.type))).toBe(false);
  });

  it('NEG-3: only unsupported tandem versions offered → 4400 naming the supported version', async () => {
    server = await startTestServer();
    const client = await open('future', ['tandem.v9']);
    const closed = await client.waitForClose();
    expect(closed.code).toBe(CloseCode.unsupportedProtocolVersion);
    expect(closed.reason).toContain('tandem.v1');
  });

  it('EXT-1: a plain session sending an extension frame is closed with 1008', async () => {
    server = await startTestServer();
    const client = await open('plain-ext');
    client.send(encode.ping(1));
    const closed = await client.waitForClose();
    expect(closed.code).toBe(CloseCode.policyViolation);
    expect(closed.reason).toContain('tandem.v1');
  });

  it('EXT-1: server-only frames from a client are refused with 1008', async () => {
    server = await startTestServer();
    const client = await open('client-ack', [TANDEM_SUBPROTOCOL]);
    client.send(encode.ack(3));
    expect((await client.waitForClose()).code).toBe(CloseCode.policyViolation);
    expect(client.frames.find(frameOfType('notice'))?.code).toBe(CloseCode.policyViolation);
  });

  it('FRAME-2: undecodable bytes close the session with 1007 and a message naming the problem', async () => {
    server = await startTestServer();
    const client = await open('garbage', [TANDEM_SUBPROTOCOL]);
    client.send(new Uint8Array([0x7f, 0x01, 0x02]));
    const closed = await client.waitForClose();
    expect(closed.code).toBe(CloseCode.undecodable);
    expect(closed.reason).toMatch(/unknown message type 127/);
    const notice = client.frames.find(frameOfType('notice'));
    expect(notice?.message).toMatch(/unknown message type 127/);
  });

  it('FRAME-2: a text frame closes the session with 1007', async () => {
    server = await startTestServer();
    const client = await open('text');
    client.ws.send('hello');
    const closed = await client.waitForClose();
    expect(closed.code).toBe(CloseCode.undecodable);
    expect(closed.reason).toMatch(/binary/);
  });

  it('SYNC-4: an update Yjs cannot apply closes the session with 1007 and leaves the document intact', async () => {
    server = await startTestServer();
    const good = await open('bad-update');
    await good.waitForFrame(frameOfType('sync-step1'));
    const bad = await open('bad-update');
    bad.send(encode.syncUpdate(new Uint8Array([1, 5, 200])));
    const closed = await bad.waitForClose();
    expect(closed.code).toBe(CloseCode.undecodable);
    expect(closed.reason).toMatch(/malformed update/);
    // The room still works for the other session.
    good.send(encode.syncStep1(new Uint8Array([0])));
    await good.waitForFrame(frameOfType('sync-step2'));
    expect(good.closeEvent).toBeUndefined();
  });

  it('CONN-4: a frame over the size limit closes the session with 1009', async () => {
    server = await startTestServer({ config: { maxMessageBytes: 64 * 1024 } });
    const client = await open('big');
    client.send(encodeFrame({ type: 'sync-update', update: new Uint8Array(100 * 1024) }));
    expect((await client.waitForClose()).code).toBe(CloseCode.tooLarge);
  });

  it('a bad room name is refused before the upgrade with HTTP 400', async () => {
    server = await startTestServer();
    const empty = connectRaw(`${server.syncUrl}/`);
    const badEscape = connectRaw(`${server.syncUrl}/%E0%A4%A`);
    raw.push(empty, badEscape);
    await expect(empty.opened()).rejects.toThrow('HTTP 400');
    await expect(badEscape.opened()).rejects.toThrow('HTTP 400');
    const response = await server.app.inject({ method: 'GET', url: '/sync/' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'bad_room_name', message: expect.stringContaining('/sync/<room>') });
  });

  it('room names are percent-decoded, so y-websocket and raw clients meet in the same room', async () => {
    server = await startTestServer();
    const client = await open(encodeURIComponent('notes/2026 Q4 ✓'));
    await client.waitForFrame(frameOfType('sync-step1'));
    await waitFor(() => server?.app.tandem.registry.get('notes/2026 Q4 ✓'));
  });
});

describe('health endpoints', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  it('GET /healthz and GET /readyz answer 200 while dependencies are up, 503 when the store is gone', async () => {
    server = await startTestServer();
    expect((await server.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await server.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { store: 'ok', fanout: 'ok' } });
    await server.store.close();
    const notReady = await server.app.inject('/readyz');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({ status: 'unavailable', checks: { store: 'memory store is closed' } });
  });

  it('GET / serves a page naming the WebSocket URL', async () => {
    server = await startTestServer();
    const page = await server.app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('/sync');
  });
});
