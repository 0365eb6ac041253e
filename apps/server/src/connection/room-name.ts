import type { DocumentId } from '../identity.js';

/** Longest room name accepted, in UTF-8 bytes. */
export const MAX_ROOM_NAME_BYTES = 512;

/** A parsed room name, or why the path does not name a room. */
export type RoomNameResult =
  | { readonly ok: true; readonly roomId: DocumentId }
  | { readonly ok: false; readonly error: string };

/**
 * Reads the room from the part of the path after `/sync/` (y-websocket appends the room
 * name to the server URL). Percent-escapes are decoded; the query string is ignored.
 */
export function parseRoomName(rawPathTail: string): RoomNameResult {
  const withoutQuery = rawPathTail.split('?', 1)[0] ?? '';
  let roomId: string;
  try {
    roomId = decodeURIComponent(withoutQuery);
  } catch {
    return { ok: false, error: 'room name is not valid percent-encoding' };
  }
  if (roomId.length === 0) return { ok: false, error: 'room name is empty: connect to /sync/<room>' };
  if (Buffer.byteLength(roomId, 'utf8') > MAX_ROOM_NAME_BYTES) {
    return { ok: false, error: `room name is longer than ${MAX_ROOM_NAME_BYTES} bytes` };
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(roomId)) return { ok: false, error: 'room name contains control characters' };
  return { ok: true, roomId: roomId as DocumentId };
}
