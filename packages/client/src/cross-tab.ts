import { decodeFrame, encode } from '@tandem/protocol';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';

/** Transaction origin of updates that came from another tab. */
export const FROM_OTHER_TAB = Symbol('tandem-cross-tab');

/** A live BroadcastChannel link between same-origin tabs editing one document. */
export interface CrossTab {
  /** Sends a local document update to the other tabs. */
  publishUpdate(update: Uint8Array): void;
  /** Sends an awareness update to the other tabs. */
  publishAwareness(update: Uint8Array): void;
  close(): void;
}

/**
 * Links tabs through BroadcastChannel: on start it sends its state vector and awareness,
 * answers the others' state vectors with what they miss, and relays every update, so tabs
 * stay in sync even while offline. Messages are protocol frames.
 */
export function startCrossTab(name: string, doc: Y.Doc, awareness: awarenessProtocol.Awareness): CrossTab | null {
  const Channel = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel;
  if (Channel === undefined) return null;
  const channel = new Channel(name);
  const post = (bytes: Uint8Array) => channel.postMessage(bytes);
  channel.onmessage = (event: MessageEvent) => {
    const data = event.data;
    if (!(data instanceof Uint8Array)) return;
    const decoded = decodeFrame(data);
    if (!decoded.ok) return;
    const frame = decoded.frame;
    try {
      switch (frame.type) {
        case 'sync-step1':
          post(encode.syncStep2(Y.encodeStateAsUpdate(doc, frame.stateVector)));
          post(encode.awareness(awarenessProtocol.encodeAwarenessUpdate(awareness, [...awareness.getStates().keys()])));
          return;
        case 'sync-step2':
        case 'sync-update':
          Y.applyUpdate(doc, frame.update, FROM_OTHER_TAB);
          return;
        case 'awareness':
          awarenessProtocol.applyAwarenessUpdate(awareness, frame.update, FROM_OTHER_TAB);
          return;
        default:
          return;
      }
    } catch {
      // Another tab sent bytes this one cannot use: ignore them rather than break the editor.
    }
  };
  post(encode.syncStep1(Y.encodeStateVector(doc)));
  if (awareness.getLocalState() !== null) {
    post(encode.awareness(awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID])));
  }
  return {
    publishUpdate: (update) => post(encode.syncUpdate(update)),
    publishAwareness: (update) => post(encode.awareness(update)),
    close: () => channel.close(),
  };
}
