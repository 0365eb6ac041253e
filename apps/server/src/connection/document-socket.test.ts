import { CloseCode, decodeFrame, encode, type Frame } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import { WRITES_PAUSED_REASON } from '../rooms/write-pause.js';
import { documentSocket } from './document-socket.js';

function makeDocumentSocket() {
  const sent: Frame[] = [];
  const carrier = {
    isOpen: true,
    closes: [] as { code: number; reason: string }[],
    terminations: [] as string[],
    close(code: number, reason: string) {
      this.isOpen = false;
      this.closes.push({ code, reason });
    },
    terminate(why: string) {
      this.terminations.push(why);
    },
  };
  const ws = {
    bufferedAmount: 42,
    send(data: Uint8Array) {
      const decoded = decodeFrame(data);
      if (!decoded.ok) throw new Error('undecodable');
      sent.push(decoded.frame);
    },
  };
  let closed = 0;
  const socket = documentSocket('notes', carrier, ws, () => closed++);
  return { socket, carrier, sent, closed: () => closed };
}

describe('documentSocket', () => {
  it('MUX-1: wraps every frame in a doc frame and reports the carrier’s buffer', () => {
    const { socket, sent } = makeDocumentSocket();
    const update = encode.syncUpdate(new Uint8Array([1, 2]));
    socket.send(update);
    expect(sent).toEqual([{ type: 'doc', doc: 'notes', frame: update }]);
    expect(socket.bufferedAmount).toBe(42);
  });

  it('MUX-3: a close is a close-doc frame for this document only', () => {
    const { socket, carrier, sent, closed } = makeDocumentSocket();
    socket.close(CloseCode.forbidden, 'not allowed');
    expect(sent).toEqual([{ type: 'close-doc', doc: 'notes', code: CloseCode.forbidden, reason: 'not allowed' }]);
    expect(carrier.closes).toEqual([]);
    expect(closed()).toBe(1);
  });

  it('CONN-2: a slow reader closes the whole connection with 1013', () => {
    const { socket, carrier, sent, closed } = makeDocumentSocket();
    socket.close(CloseCode.tryAgainLater, 'slow consumer: outgoing buffer over the limit');
    expect(carrier.closes.map((c) => c.code)).toEqual([CloseCode.tryAgainLater]);
    expect(sent).toEqual([]);
    expect(closed()).toBe(1);
  });

  it('PERSIST-5/MUX-3: paused writes close only the document, with close-doc 1013', () => {
    const { socket, carrier, sent } = makeDocumentSocket();
    socket.close(CloseCode.tryAgainLater, WRITES_PAUSED_REASON);
    expect(carrier.closes).toEqual([]);
    expect(sent.map((f) => f.type)).toEqual(['close-doc']);
  });

  it('sends no close-doc once the carrier is closing', () => {
    const { socket, carrier, sent, closed } = makeDocumentSocket();
    carrier.isOpen = false;
    socket.close(CloseCode.serviceRestart, 'server restarting');
    expect(sent).toEqual([]);
    expect(closed()).toBe(1);
  });

  it('CONN-1: terminating a document terminates the carrier; pings are the carrier’s', () => {
    const { socket, carrier, sent } = makeDocumentSocket();
    socket.ping();
    expect(sent).toEqual([]);
    socket.terminate();
    expect(carrier.terminations).toEqual(['document session terminated']);
  });
});
