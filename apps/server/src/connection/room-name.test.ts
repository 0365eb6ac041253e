import { describe, expect, it } from 'vitest';
import { MAX_ROOM_NAME_BYTES, parseRoomName } from './room-name.js';

const roomOf = (tail: string): string => {
  const result = parseRoomName(tail);
  if (!result.ok) throw new Error(`expected a room name, got: ${result.error}`);
  return result.roomId;
};

const errorOf = (tail: string): string => {
  const result = parseRoomName(tail);
  if (result.ok) throw new Error(`expected an error, got room ${JSON.stringify(result.roomId)}`);
  return result.error;
};

describe('parseRoomName', () => {
  it('accepts a plain name', () => {
    expect(roomOf('my-doc')).toBe('my-doc');
  });

  it('decodes percent-escapes, including slashes and non-ASCII characters', () => {
    expect(roomOf('team%2Fnotes')).toBe('team/notes');
    expect(roomOf('caf%C3%A9')).toBe('café');
    expect(roomOf('%E2%9C%93%20done')).toBe('✓ done');
  });

  it('keeps unescaped characters y-websocket may send as they are', () => {
    expect(roomOf('a/b')).toBe('a/b');
    expect(roomOf('..')).toBe('..');
    expect(roomOf('with space')).toBe('with space');
  });

  it('ignores the query string', () => {
    expect(roomOf('doc?token=abc')).toBe('doc');
    expect(roomOf('doc?a=1?b=2')).toBe('doc');
    expect(roomOf('doc%3Fnot-a-query')).toBe('doc?not-a-query');
  });

  it('rejects an empty name, with or without a query string', () => {
    expect(errorOf('')).toMatch(/empty/);
    expect(errorOf('?token=abc')).toMatch(/empty/);
  });

  it('rejects malformed percent-encoding', () => {
    for (const tail of ['%', '%2', '%zz', 'a%E0%A4%A', '%C3', '%ED%A0%80']) {
      expect(errorOf(tail)).toMatch(/percent-encoding/);
    }
  });

  it(`accepts ${MAX_ROOM_NAME_BYTES} UTF-8 bytes and rejects one more`, () => {
    expect(roomOf('a'.repeat(MAX_ROOM_NAME_BYTES))).toHaveLength(MAX_ROOM_NAME_BYTES);
    expect(errorOf('a'.repeat(MAX_ROOM_NAME_BYTES + 1))).toMatch(/longer than 512 bytes/);
  });

  it('measures the length in bytes of the decoded name, not in characters or escapes', () => {
    // 'é' is 2 bytes: 256 of them fit exactly, although the escaped form is 1536 characters long.
    expect(roomOf('%C3%A9'.repeat(256))).toBe('é'.repeat(256));
    expect(errorOf('é'.repeat(257))).toMatch(/longer than/);
  });

  it('rejects C0 control characters and DEL, escaped or not', () => {
    for (const tail of ['%00', 'a%0Ab', '%0D', '%1F', '%7F', 'a\tb', 'a\u0000b']) {
      expect(errorOf(tail)).toMatch(/control characters/);
    }
  });

  it('accepts characters just outside the control ranges', () => {
    expect(roomOf('%20')).toBe(' ');
    expect(roomOf('~')).toBe('~');
    expect(roomOf('%C2%A0')).toBe('\u00a0');
  });
});
