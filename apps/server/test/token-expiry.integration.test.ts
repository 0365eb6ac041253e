import { CloseCode, decodeFrame, encode, type Frame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { type ServerProcess, startServerProcess, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectRaw, frameOfType, type RawClient } from './helpers/raw-client.js';
import { signToken, TEST_SECRET } from './helpers/tokens.js';

const DAY_S = 86_400;

function textUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('content').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

/** The `exp` claim of a token, in ms since the epoch. */
function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number };
  return payload.exp * 1000;
}

/** The frames a multiplexed connection received for `doc`, unwrapped. */
function innerFrames(client: RawClient, doc: string): Frame[] {
  return client.frames.flatMap((f) => {
    if (f.type !== 'doc' || f.doc !== doc) return [];
    const inner = decodeFrame(f.frame);
    return inner.ok ? [inner.frame] : [];
  });
}

/**
 * Waits for a frame matching `predicate` or for the connection to close, whichever comes first,
 * and requires the former: a session closed early fails with its close code, not a timeout.
 */
async function expectFrameWhileOpen(client: RawClient, predicate: (frame: Frame) => boolean, what: string) {
  await waitFor(() => client.closeEvent !== undefined || client.frames.some(predicate), { what });
  expect(client.closeEvent, `${what}: the session closed first`).toBeUndefined();
}

const isCloseDoc = (frame: Frame) => frame.type === 'close-doc';

const pongFor =
  (id: number) =>
  (frame: Frame): frame is Extract<Frame, { type: 'pong' }> =>
    frame.type === 'pong' && frame.id === id;

describe('token expiry, however far ahead (real server process)', () => {
  let server: ServerProcess | undefined;
  const raw: RawClient[] = [];

  afterEach(async () => {
    for (const c of raw.splice(0)) c.close();
    await server?.process.stop('SIGKILL');
    server = undefined;
  });

  const start = async () => {
    server = await startServerProcess({ AUTH_SECRET: TEST_SECRET });
    return server;
  };
  const connect = (url: string) => {
    const client = connectRaw(url, [TANDEM_SUBPROTOCOL]);
    raw.push(client);
    return client;
  };

  it('AUTH-5: tokens expiring in 400 days and in 10 years stay connected and can edit (single and multiplexed)', async () => {
    const s = await start();
    const yearish = await signToken({ sub: 'service-a', expiresIn: 400 * DAY_S });
    const decade = await signToken({ sub: 'service-b', expiresIn: 3653 * DAY_S });
    const single = connect(`${s.syncUrl}/long-lived?token=${yearish}`);
    const mux = connect(`${s.syncUrl}?token=${decade}`);
    await expectFrameWhileOpen(single, frameOfType('sync-step1'), 'sync step 1 on the single-document session');
    await mux.opened();
    mux.send(encode.open('long-lived'));
    await expectFrameWhileOpen(
      mux,
      (f) => f.type === 'doc' && f.doc === 'long-lived',
      'the multiplexed document answered',
    );

    // An edit from each is acked (durable) and relayed to the other: both sessions are fully alive.
    single.send(encode.syncUpdate(textUpdate('from the 400-day token. ')));
    await expectFrameWhileOpen(single, frameOfType('ack'), 'ack for the 400-day session');
    mux.send(encode.doc('long-lived', encode.syncUpdate(textUpdate('from the 10-year token. '))));
    await waitFor(() => innerFrames(mux, 'long-lived').some((f) => f.type === 'ack') || mux.frames.some(isCloseDoc), {
      what: 'ack for the 10-year multiplexed document',
    });
    expect(mux.frames.filter(isCloseDoc), 'the multiplexed document was closed').toEqual([]);
    await expectFrameWhileOpen(single, frameOfType('sync-update'), 'the 10-year edit relayed to the 400-day session');
    single.send(encode.ping(41));
    mux.send(encode.ping(42));
    await expectFrameWhileOpen(single, pongFor(41), 'pong on the single-document session');
    await expectFrameWhileOpen(mux, pongFor(42), 'pong on the multiplexed connection');
    expect(mux.frames.filter(isCloseDoc)).toEqual([]);
    expect(s.process.lines.filter((line) => line.includes('TimeoutOverflowWarning'))).toEqual([]);
  });

  it('AUTH-5: a token expiring a few seconds ahead is still closed with 4401 at its expiry', async () => {
    const s = await start();
    const token = await signToken({ expiresIn: 3 });
    const expiresAt = expiryOf(token);
    const client = connect(`${s.syncUrl}/short-lived?token=${token}`);
    await client.waitForFrame(frameOfType('sync-step1'));
    const closed = await client.waitForClose(10_000);
    const closedAt = Date.now();
    expect(closed).toEqual({ code: CloseCode.unauthenticated, reason: 'token expired' });
    // Not before the expiry (the client and server share this machine's clock), and soon after it.
    expect(closedAt).toBeGreaterThanOrEqual(expiresAt - 50);
    expect(closedAt).toBeLessThan(expiresAt + 2_000);
  });

  it('AUTH-5: a refresh moves the expiry either way: short → 10 years stays open, 10 years → short closes at the new expiry', async () => {
    const s = await start();
    const short = await signToken({ expiresIn: 2 });
    const lengthening = connect(`${s.syncUrl}/refreshed?token=${short}`);
    const bystander = connect(`${s.syncUrl}/refreshed?token=${short}`);
    const shortening = connect(`${s.syncUrl}/refreshed?token=${await signToken({ expiresIn: 3653 * DAY_S })}`);
    await Promise.all([lengthening, bystander, shortening].map((c) => c.waitForFrame(frameOfType('sync-step1'))));
    lengthening.send(encode.authToken(await signToken({ expiresIn: 3653 * DAY_S })));
    const soon = await signToken({ expiresIn: 2 });
    shortening.send(encode.authToken(soon));
    // The bystander kept the short token: its close marks the moment the original expiry passed.
    expect(await bystander.waitForClose(10_000)).toEqual({ code: CloseCode.unauthenticated, reason: 'token expired' });
    expect(await shortening.waitForClose(10_000)).toEqual({ code: CloseCode.unauthenticated, reason: 'token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(expiryOf(soon) - 50);
    lengthening.send(encode.syncUpdate(textUpdate('still here')));
    await expectFrameWhileOpen(lengthening, frameOfType('ack'), 'ack after the refresh to a 10-year token');
  });
});
