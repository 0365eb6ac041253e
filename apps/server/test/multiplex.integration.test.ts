import { CloseCode, decodeFrame, encode, type Frame, TANDEM_SUBPROTOCOL } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryDocStore } from '../src/storage/memory-doc-store.js';
import { connectStockClient, type StockClient } from './helpers/clients.js';
import { connectRaw, type RawClient } from './helpers/raw-client.js';
import { failLoads } from './helpers/store-wrappers.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/** Inner frames a multiplexed client received for `doc`. */
function framesFor(client: RawClient, doc: string): Frame[] {
  const out: Frame[] = [];
  for (const frame of client.frames) {
    if (frame.type !== 'doc' || frame.doc !== doc) continue;
    const inner = decodeFrame(frame.frame);
    if (inner.ok) out.push(inner.frame);
  }
  return out;
}

function closeDocFor(client: RawClient, doc: string) {
  return client.frames.find((f): f is Extract<Frame, { type: 'close-doc' }> => f.type === 'close-doc' && f.doc === doc);
}

describe('multiplexed connections', () => {
  let server: TestServer | undefined;
  const raw: RawClient[] = [];
  const stock: StockClient[] = [];

  afterEach(async () => {
    for (const c of raw.splice(0)) c.close();
    for (const c of stock.splice(0)) c.destroy();
    await server?.close();
  });

  const connectMux = async () => {
    const client = connectRaw((server as TestServer).syncUrl, [TANDEM_SUBPROTOCOL]);
    raw.push(client);
    await client.opened();
    return client;
  };

  it('MUX-2: fifty documents over one socket stay independent and are acked per document', async () => {
    server = await startTestServer();
    const mux = await connectMux();
    const docs = Array.from({ length: 50 }, (_, i) => `doc-${i}`);
    for (const doc of docs) mux.send(encode.open(doc));
    await waitFor(() => docs.every((doc) => framesFor(mux, doc).some((f) => f.type === 'sync-step1')), {
      what: 'sync step 1 for every document',
    });
    for (const [i, doc] of docs.entries()) {
      const ydoc = new Y.Doc();
      ydoc.getText('content').insert(0, `content of ${doc}`);
      mux.send(encode.doc(doc, encode.syncUpdate(Y.encodeStateAsUpdate(ydoc))));
      if (i % 2 === 0) mux.send(encode.doc(doc, encode.syncUpdate(Y.encodeStateAsUpdate(ydoc))));
    }
    await waitFor(() => docs.every((doc) => framesFor(mux, doc).some((f) => f.type === 'ack')), {
      what: 'an ack for every document',
    });
    for (const [i, doc] of docs.entries()) {
      const acks = framesFor(mux, doc).filter((f): f is Extract<Frame, { type: 'ack' }> => f.type === 'ack');
      await waitFor(() => framesFor(mux, doc).some((f) => f.type === 'ack' && f.through === (i % 2 === 0 ? 2 : 1)));
      expect(acks.every((a) => a.through <= 2)).toBe(true);
      expect(server.app.tandem.registry.get(doc)?.doc.getText('content').toString()).toBe(`content of ${doc}`);
    }
    // A stock client on one of the rooms sees exactly that document.
    const reader = connectStockClient(server.syncUrl, 'doc-7');
    stock.push(reader);
    await waitFor(() => reader.provider.synced && reader.text.toString() === 'content of doc-7');
  });

  it('MUX-3: a document that fails to load is closed alone; the socket and the other documents carry on', async () => {
    const failing = failLoads(createMemoryDocStore());
    server = await startTestServer({ store: failing.store });
    const mux = await connectMux();
    mux.send(encode.open('broken'));
    await waitFor(() => closeDocFor(mux, 'broken'), { what: 'close-doc for the broken document' });
    expect(closeDocFor(mux, 'broken')?.code).toBe(CloseCode.internalError);
    failing.setFailing(false);
    mux.send(encode.open('fine'));
    await waitFor(() => framesFor(mux, 'fine').some((f) => f.type === 'sync-step1'));
    mux.send(encode.ping(9));
    await mux.waitForFrame((f): f is Extract<Frame, { type: 'pong' }> => f.type === 'pong' && f.id === 9);
    expect(mux.closeEvent).toBeUndefined();
  });

  it('MUX-3: a malformed frame inside one document closes that document with 1007, not the socket', async () => {
    server = await startTestServer();
    const mux = await connectMux();
    mux.send(encode.open('a'));
    mux.send(encode.open('b'));
    await waitFor(() => ['a', 'b'].every((d) => framesFor(mux, d).some((f) => f.type === 'sync-step1')));
    mux.send(encode.doc('a', Uint8Array.of(0x7f)));
    await waitFor(() => closeDocFor(mux, 'a'));
    expect(closeDocFor(mux, 'a')?.code).toBe(CloseCode.undecodable);
    expect(framesFor(mux, 'a').find((f) => f.type === 'notice')).toMatchObject({ code: CloseCode.undecodable });
    mux.send(encode.doc('b', encode.syncStep1(new Uint8Array([0]))));
    await waitFor(() => framesFor(mux, 'b').some((f) => f.type === 'sync-step2'));
    expect(mux.closeEvent).toBeUndefined();
  });

  it('MUX-4: the document limit per connection is enforced with a close-doc naming it', async () => {
    server = await startTestServer({ config: { maxDocsPerConnection: 3 } });
    const mux = await connectMux();
    for (const doc of ['1', '2', '3', '4']) mux.send(encode.open(doc));
    await waitFor(() => closeDocFor(mux, '4'));
    expect(closeDocFor(mux, '4')).toMatchObject({
      code: CloseCode.policyViolation,
      reason: expect.stringContaining('limit 3'),
    });
    // Leaving one frees a slot.
    mux.send(encode.closeDoc('1', CloseCode.normal, 'done'));
    mux.send(encode.open('4'));
    await waitFor(() => framesFor(mux, '4').some((f) => f.type === 'sync-step1'));
  });

  it('MUX-5: unwrapped document frames on /sync and plain clients on /sync are refused', async () => {
    server = await startTestServer();
    const mux = await connectMux();
    mux.send(encode.syncStep1(new Uint8Array([0])));
    expect((await mux.waitForClose()).code).toBe(CloseCode.policyViolation);
    const plain = connectRaw(server.syncUrl);
    raw.push(plain);
    const closed = await plain.waitForClose();
    expect(closed.code).toBe(CloseCode.unsupportedProtocolVersion);
    expect(closed.reason).toContain('/sync/<room>');
  });

  it('MUX-1: shutdown closes every document and then the connection with 1012', async () => {
    server = await startTestServer();
    const mux = await connectMux();
    mux.send(encode.open('x'));
    await waitFor(() => framesFor(mux, 'x').some((f) => f.type === 'sync-step1'));
    await server.close();
    expect((await mux.waitForClose()).code).toBe(CloseCode.serviceRestart);
    expect(closeDocFor(mux, 'x')?.code).toBe(CloseCode.serviceRestart);
  });
});
