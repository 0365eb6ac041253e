import { CloseCode, encode, HocuspocusMessageType, NoticeCode } from '@tandem/protocol';
import * as decoding from 'lib0/decoding';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DocumentId } from '../identity.js';
import { fakeSocket } from './fake-socket.fixture.js';
import { HOCUSPOCUS_DIALECT, hocuspocusDocumentSocket } from './hocuspocus-socket.js';
import { createSession, newSessionId } from './session.js';

/** The address and body of a message the carrier sent. */
function split(bytes: Uint8Array): { address: string; body: number[] } {
  const decoder = decoding.createDecoder(bytes);
  const address = decoding.readVarString(decoder);
  return { address, body: [...bytes.subarray(decoder.pos)] };
}

function carrierWith() {
  const carrier = {
    isOpen: true,
    closes: [] as { code: number; reason: string }[],
    close(code: number, reason: string) {
      this.isOpen = false;
      this.closes.push({ code, reason });
    },
    terminate() {},
  };
  const ws = fakeSocket();
  let closed = 0;
  const socket = hocuspocusDocumentSocket('doc\0s1', carrier, ws, () => closed++);
  return { carrier, ws, socket, closed: () => closed };
}

describe('hocuspocusDocumentSocket', () => {
  it('HP-1: every frame goes out behind the document’s address', () => {
    const { ws, socket } = carrierWith();
    socket.send(encode.syncStep1(Uint8Array.of(0)));
    expect(split(ws.sent[0] as Uint8Array)).toEqual({ address: 'doc\0s1', body: [0, 0, 1, 0] });
  });

  it('HP-6: a close that reconnecting cures closes the carrier; any other is a close message for the address', () => {
    for (const code of [CloseCode.unauthenticated, CloseCode.tryAgainLater, CloseCode.serviceRestart]) {
      const { carrier, ws, socket, closed } = carrierWith();
      socket.close(code, 'why');
      expect(carrier.closes).toEqual([{ code, reason: 'why' }]);
      expect(ws.sent).toEqual([]);
      expect(closed()).toBe(1);
    }
    for (const code of [CloseCode.policyViolation, CloseCode.undecodable, CloseCode.forbidden]) {
      const { carrier, ws, socket, closed } = carrierWith();
      socket.close(code, 'refused');
      expect(carrier.closes).toEqual([]);
      const { address, body } = split(ws.sent[0] as Uint8Array);
      expect(address).toBe('doc\0s1');
      expect(body[0]).toBe(HocuspocusMessageType.close);
      expect(closed()).toBe(1);
    }
  });
});

describe('HOCUSPOCUS_DIALECT', () => {
  const session = () => {
    const ws = fakeSocket();
    const s = createSession({
      id: newSessionId(),
      roomId: 'd' as DocumentId,
      protocol: 'hocuspocus',
      dialect: HOCUSPOCUS_DIALECT,
      socket: ws,
      logger: pino({ level: 'silent' }),
      maxBufferedBytes: 1 << 20,
      slowCloseGraceMs: 100,
    });
    return { s, ws };
  };

  it('HP-4: frames that became durable together get one "applied" sync status each, none twice', async () => {
    const { s, ws } = session();
    for (let i = 0; i < 3; i++) s.nextUpdateFrame();
    s.acknowledge(2);
    s.acknowledge(3);
    await Promise.resolve();
    expect(ws.sent.map((b) => [...b])).toEqual([
      [8, 1],
      [8, 1],
      [8, 1],
    ]);
    s.acknowledge(3);
    await Promise.resolve();
    expect(ws.sent).toHaveLength(3);
  });

  it('HP-5: the read-only notice is "not applied"; other extension frames have no Hocuspocus form', () => {
    const { s, ws } = session();
    expect(s.sendExtension({ type: 'notice', code: NoticeCode.readOnly, message: 'read-only' })).toBe(true);
    expect(s.sendExtension({ type: 'pong', id: 1 })).toBe(false);
    expect(s.sendExtension({ type: 'notice', code: NoticeCode.policyViolation, message: 'x' })).toBe(false);
    expect(ws.sent.map((b) => [...b])).toEqual([[8, 0]]);
  });
});
