import { decodeFrame, type Frame, readAwarenessEntries } from '@tandem/protocol';
import * as Y from 'yjs';

/** Longest awareness state (as JSON) printed before it is cut with `…`. */
export const DEFAULT_STATE_CHARS = 80;

/** How many clients of one update are listed before `+N more`. */
const MAX_CLIENTS = 8;

/** `type/sub-type (n/m)` of a decoded frame, as the wire numbers it. */
export function frameKind(frame: Frame): string {
  switch (frame.type) {
    case 'sync-step1':
      return 'sync/step1 (0/0)';
    case 'sync-step2':
      return 'sync/step2 (0/1)';
    case 'sync-update':
      return 'sync/update (0/2)';
    case 'awareness':
      return 'awareness (1)';
    case 'auth-permission-denied':
      return 'auth/permission-denied (2/0)';
    case 'query-awareness':
      return 'query-awareness (3)';
    case 'ack':
      return 'ack (64)';
    case 'ping':
      return 'ping (65)';
    case 'pong':
      return 'pong (66)';
    case 'notice':
      return 'notice (67)';
    case 'doc':
      return 'doc (68)';
    case 'open':
      return 'open (69)';
    case 'close-doc':
      return 'close-doc (70)';
    case 'auth-token':
      return 'auth-token (71)';
    default:
      return (frame as Frame).type;
  }
}

/** One line describing a frame's bytes: kind, sizes and decoded payload. Never throws. */
export function describeFrame(bytes: Uint8Array, maxStateChars = DEFAULT_STATE_CHARS): string {
  const decoded = decodeFrame(bytes);
  if (!decoded.ok) return `undecodable ${bytes.byteLength}B: ${decoded.error.kind}: ${decoded.error.message}`;
  return `${frameKind(decoded.frame)} ${bytes.byteLength}B ${describePayload(decoded.frame, maxStateChars)}`.trimEnd();
}

function describePayload(frame: Frame, maxStateChars: number): string {
  switch (frame.type) {
    case 'sync-step1':
      return `state-vector ${frame.stateVector.byteLength}B ${describeStateVector(frame.stateVector)}`;
    case 'sync-step2':
    case 'sync-update':
      return `update ${frame.update.byteLength}B ${describeUpdate(frame.update)}`;
    case 'awareness':
      return `update ${frame.update.byteLength}B ${describeAwareness(frame.update, maxStateChars)}`;
    case 'auth-permission-denied':
      return `reason ${JSON.stringify(frame.reason)}`;
    case 'query-awareness':
      return '';
    case 'ack':
      return `through ${frame.through}`;
    case 'ping':
    case 'pong':
      return `id ${frame.id}`;
    case 'notice':
      return `code ${frame.code} ${JSON.stringify(frame.message)}`;
    case 'doc':
      return `doc ${JSON.stringify(frame.doc)} | ${describeFrame(frame.frame, maxStateChars)}`;
    case 'open':
      return `doc ${JSON.stringify(frame.doc)}${frame.token === '' ? '' : ' token ***'}`;
    case 'close-doc':
      return `doc ${JSON.stringify(frame.doc)} code ${frame.code} ${JSON.stringify(frame.reason)}`;
    case 'auth-token':
      return 'token ***';
    default:
      // A frame type newer than this describer: named by frameKind, payload not decoded.
      return '';
  }
}

function describeStateVector(stateVector: Uint8Array): string {
  try {
    const entries = [...Y.decodeStateVector(stateVector).entries()];
    return `{${limit(entries.map(([client, clock]) => `${client}:${clock}`)).join(' ')}}`;
  } catch {
    return '(undecodable state vector)';
  }
}

/**
 * Client ids with the clock ranges an update carries (`client:from..to`, `to` exclusive) and the
 * ranges it deletes. Y.parseUpdateMeta gives the ranges; Y.decodeUpdate counts structs and deletes.
 */
export function describeUpdate(update: Uint8Array): string {
  try {
    const meta = Y.parseUpdateMeta(update);
    const { structs, ds } = Y.decodeUpdate(update);
    const ranges = [...meta.from.entries()].map(([client, from]) => `${client}:${from}..${meta.to.get(client)}`);
    const deletes = [...ds.clients.entries()].flatMap(([client, items]) =>
      items.map((item) => `${client}:${item.clock}..${item.clock + item.len}`),
    );
    const parts = [`structs ${structs.length}`];
    parts.push(ranges.length === 0 ? 'clients none' : `clients ${limit(ranges).join(' ')}`);
    if (deletes.length > 0) parts.push(`deletes ${limit(deletes).join(' ')}`);
    return parts.join(' ');
  } catch (err) {
    return `(undecodable update: ${err instanceof Error ? err.message : String(err)})`;
  }
}

function describeAwareness(update: Uint8Array, maxStateChars: number): string {
  try {
    const described = readAwarenessEntries(update).map(({ clientId, clock, state }) => {
      // Re-serialized, so the line shows the state compactly whatever spacing the client sent.
      const json = state === 'null' ? 'removed' : JSON.stringify(JSON.parse(state));
      return `${clientId}@${clock} ${truncate(json, maxStateChars)}`;
    });
    return `clients ${limit(described).join(', ')}`;
  } catch (err) {
    return `(undecodable awareness: ${err instanceof Error ? err.message : String(err)})`;
  }
}

function limit(items: string[]): string[] {
  if (items.length <= MAX_CLIENTS) return items;
  return [...items.slice(0, MAX_CLIENTS), `+${items.length - MAX_CLIENTS} more`];
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
