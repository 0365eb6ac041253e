import { CloseCode, decodeFrame, encode, type Frame } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import { FrameIntake } from './frame-intake.js';
import type { RateLimits } from './token-bucket.js';

const UNLIMITED = { messagesPerSecond: 1e9, messageBurst: 1e9, bytesPerSecond: 1e12, byteBurst: 1e12 };

/** An intake over a recording connection, sink and metrics, with rate limits `limits`. */
function makeIntake(limits: RateLimits = UNLIMITED) {
  const connection = {
    isOpen: true,
    closes: [] as { code: number; reason: string }[],
    close(code: number, reason: string) {
      this.isOpen = false;
      this.closes.push({ code, reason });
    },
  };
  const frames: { frame: Frame; bytes: Uint8Array }[] = [];
  const counted: { type: string; bytes: number }[] = [];
  const intake = new FrameIntake(
    connection,
    limits,
    { frameIn: (type, bytes) => counted.push({ type, bytes }) },
    decodeFrame,
    { frame: (frame, bytes) => frames.push({ frame, bytes }) },
  );
  return { intake, connection, frames, counted };
}

describe('FrameIntake', () => {
  it('hands a decoded binary frame and its bytes to the sink, counted by type', () => {
    const { intake, frames, counted, connection } = makeIntake();
    const bytes = Buffer.from(encode.syncUpdate(new Uint8Array([1, 2, 3])));
    intake.receive(bytes, true);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.frame.type).toBe('sync-update');
    expect(frames[0]?.bytes).toBe(bytes);
    expect(counted).toEqual([{ type: 'sync-update', bytes: bytes.byteLength }]);
    expect(connection.closes).toEqual([]);
  });

  it('joins a fragmented message before decoding it', () => {
    const { intake, frames } = makeIntake();
    const bytes = Buffer.from(encode.syncUpdate(new Uint8Array([1, 2, 3])));
    intake.receive([bytes.subarray(0, 2), bytes.subarray(2)], true);
    expect(frames.map((f) => f.frame.type)).toEqual(['sync-update']);
  });

  it('closes the connection with 1007 on a text frame', () => {
    const { intake, frames, connection } = makeIntake();
    intake.receive(Buffer.from('hello'), false);
    expect(frames).toEqual([]);
    expect(connection.closes.map((c) => c.code)).toEqual([CloseCode.undecodable]);
  });

  it('LIMIT-1: closes the connection with 1008 past the rate limit, before decoding', () => {
    // A message budget of none: the first frame is over it.
    const { intake, frames, counted, connection } = makeIntake({ ...UNLIMITED, messageBurst: 0, messagesPerSecond: 0 });
    intake.receive(Buffer.from(encode.syncUpdate(new Uint8Array([1]))), true);
    expect(frames).toEqual([]);
    expect(counted).toEqual([]);
    expect(connection.closes).toEqual([{ code: CloseCode.policyViolation, reason: 'rate limit exceeded' }]);
  });

  it('counts an undecodable frame and closes the connection with 1007', () => {
    const { intake, frames, counted, connection } = makeIntake();
    intake.receive(Buffer.from([250, 1, 2]), true);
    expect(frames).toEqual([]);
    expect(counted).toEqual([{ type: 'undecodable', bytes: 3 }]);
    expect(connection.closes[0]?.code).toBe(CloseCode.undecodable);
    expect(connection.closes[0]?.reason).toMatch(/^undecodable frame: /);
  });

  it('ignores frames once the connection is closing', () => {
    const { intake, frames, counted, connection } = makeIntake();
    connection.isOpen = false;
    intake.receive(Buffer.from('text'), false);
    intake.receive(Buffer.from(encode.syncUpdate(new Uint8Array([1]))), true);
    expect(frames).toEqual([]);
    expect(counted).toEqual([]);
    expect(connection.closes).toEqual([]);
  });
});
