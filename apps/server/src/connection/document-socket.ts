import { CloseCode, encode } from '@tandem/protocol';
import { WRITES_PAUSED_REASON } from '../rooms/write-pause.js';
import type { Connection, ConnectionSocket } from './connection.js';

/** The multiplexed WebSocket, as a document's transport writes to it (straight, under the carrier's bound). */
export interface CarrierSocket {
  send(data: Uint8Array): void;
  readonly bufferedAmount: number;
}

/**
 * The transport of one document on a multiplexed socket (MUX-2, MUX-3): its frames go out wrapped
 * in `doc` frames and its close is a `close-doc` frame, so one document's failure never closes the
 * others. `closed` runs once the document's close has been sent (its channel leaves then).
 */
export function documentSocket(
  doc: string,
  carrier: Pick<Connection, 'isOpen' | 'close' | 'terminate'>,
  socket: CarrierSocket,
  closed: () => void,
): ConnectionSocket {
  return {
    send: (data) => socket.send(encode.doc(doc, data)),
    close: (code, reason) => {
      // A slow reader is the socket's problem, not one document's: close the carrier. Paused writes
      // (PERSIST-5) are one document's: it alone gets close-doc 1013, the others carry on.
      if (code === CloseCode.tryAgainLater && reason !== WRITES_PAUSED_REASON) carrier.close(code, reason);
      else if (carrier.isOpen) socket.send(encode.closeDoc(doc, code, reason));
      closed();
    },
    terminate: () => carrier.terminate('document session terminated'),
    // The carrier answers heartbeats for every document on it.
    ping: () => {},
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  };
}
