import { describe, expect, it } from 'vitest';
import { decodeFrame } from './decode.js';
import { encode, encodeFrame } from './encode.js';
import { describeFrame, sampleFrames } from './frame-samples.fixture.js';
import { type Frame, isExtensionFrame, isMuxFrame, isUpdateFrame } from './frames.js';
import { EXTENSION_MESSAGE_TYPES, MessageType } from './message-types.js';

describe('frame classification', () => {
  it('EXT-1: the extension frames are ack, ping, pong, notice, the multiplexing frames and auth-token (64-71)', () => {
    expect([...EXTENSION_MESSAGE_TYPES].sort((a, b) => a - b)).toEqual([
      MessageType.ack,
      MessageType.ping,
      MessageType.pong,
      MessageType.notice,
      MessageType.doc,
      MessageType.open,
      MessageType.closeDoc,
      MessageType.authToken,
    ]);
    expect([...EXTENSION_MESSAGE_TYPES].sort((a, b) => a - b)).toEqual([64, 65, 66, 67, 68, 69, 70, 71]);
  });

  it('MUX-1: doc, open and close-doc are the multiplexing frames', () => {
    const muxTypes = new Set(
      sampleFrames()
        .filter(isMuxFrame)
        .map((frame) => frame.type),
    );
    expect([...muxTypes].sort()).toEqual(['close-doc', 'doc', 'open']);
  });

  it('MUX-1: a doc frame carries any other frame, which decodes back unchanged', () => {
    const inner = encode.syncUpdate(Uint8Array.of(1, 2, 3));
    const outer = decodeFrame(encode.doc('team-a/notes', inner));
    if (!outer.ok || outer.frame.type !== 'doc') throw new Error('expected a doc frame');
    expect(outer.frame.doc).toBe('team-a/notes');
    const decodedInner = decodeFrame(outer.frame.frame);
    expect(decodedInner.ok && decodedInner.frame).toEqual({ type: 'sync-update', update: Uint8Array.of(1, 2, 3) });
  });

  it('EXT-1: isExtensionFrame agrees with the message type on the wire', () => {
    for (const frame of sampleFrames()) {
      const messageType = encodeFrame(frame)[0] as number;
      expect(isExtensionFrame(frame), describeFrame(frame)).toBe(EXTENSION_MESSAGE_TYPES.has(messageType));
    }
  });

  it('EXT-3: the update-carrying frames are sync step2 and sync update, and nothing else', () => {
    const updateTypes = new Set(
      sampleFrames()
        .filter(isUpdateFrame)
        .map((frame) => frame.type),
    );
    expect([...updateTypes].sort()).toEqual(['sync-step2', 'sync-update']);
  });
});

describe('extension frames', () => {
  it('EXT-2: a pong built from a decoded ping carries the same id', () => {
    for (const id of [0, 1, 255, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      const ping = decodeFrame(encode.ping(id));
      if (!ping.ok || ping.frame.type !== 'ping') throw new Error('expected a ping');
      const pong = decodeFrame(encode.pong(ping.frame.id));
      expect(pong).toEqual({ ok: true, frame: { type: 'pong', id } });
    }
  });

  it('EXT-2: ping and pong differ only in their message type', () => {
    const ping = encode.ping(12_345);
    const pong = encode.pong(12_345);
    expect(ping[0]).toBe(MessageType.ping);
    expect(pong[0]).toBe(MessageType.pong);
    expect([...ping.subarray(1)]).toEqual([...pong.subarray(1)]);
  });

  it('EXT-3: ack carries "persisted through N" as a varUint', () => {
    expect([...encode.ack(1)]).toEqual([64, 1]);
    expect(decodeFrame(Uint8Array.of(64, 0x80, 0x01))).toEqual({ ok: true, frame: { type: 'ack', through: 128 } });
  });

  it('EXT-4: notice carries a code and a message', () => {
    const frame: Frame = { type: 'notice', code: 1, message: 'this document is read-only' };
    expect(decodeFrame(encodeFrame(frame))).toEqual({ ok: true, frame });
  });
});
