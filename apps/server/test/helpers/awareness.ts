import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';

/** Encodes an awareness update in which `clientId` has `state` (null removes it) at `clock`. */
export function awarenessUpdateFor(clientId: number, clock: number, state: unknown): Uint8Array {
  const doc = new Y.Doc();
  const awareness = new awarenessProtocol.Awareness(doc);
  const states = new Map<number, unknown>([[clientId, state]]);
  const meta = new Map<number, { clock: number; lastUpdated: number }>([[clientId, { clock, lastUpdated: 0 }]]);
  const update = awarenessProtocol.encodeAwarenessUpdate({ states, meta } as unknown as awarenessProtocol.Awareness, [
    clientId,
  ]);
  awareness.destroy();
  doc.destroy();
  return update;
}
