import { CloseCode, hocuspocusEncode, NoticeCode } from '@tandem/protocol';
import type { Connection, ConnectionSocket } from './connection.js';
import type { CarrierSocket } from './document-socket.js';
import type { SessionDialect } from './session.js';

/**
 * Closes after which the provider should come back by reconnecting the whole socket: it then asks
 * its `token` function again (4401: the token expired) and re-syncs every document (a restart, a
 * full store, a slow reader, a failed load). Any other close ends only the one document (HP-6).
 */
const RECONNECT_CODES: ReadonlySet<number> = new Set([
  CloseCode.goingAway,
  CloseCode.internalError,
  CloseCode.serviceRestart,
  CloseCode.tryAgainLater,
  CloseCode.unauthenticated,
]);

/**
 * The transport of one document on a Hocuspocus socket: its frames go out behind the document's
 * address; a close either ends the whole socket (the provider reconnects) or sends the provider a
 * close message for this document alone. `closed` runs once the document is closed.
 */
export function hocuspocusDocumentSocket(
  address: string,
  carrier: Pick<Connection, 'isOpen' | 'close' | 'terminate'>,
  socket: CarrierSocket,
  closed: () => void,
): ConnectionSocket {
  return {
    send: (data) => socket.send(hocuspocusEncode.addressed(address, data)),
    close: (code, reason) => {
      if (RECONNECT_CODES.has(code)) carrier.close(code, reason);
      else if (carrier.isOpen) socket.send(hocuspocusEncode.addressed(address, hocuspocusEncode.close(reason)));
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

const STORED = hocuspocusEncode.syncStatus(true);
const REFUSED = hocuspocusEncode.syncStatus(false);

/**
 * What a Hocuspocus session is told beyond y-websocket: one "sync status: applied" per update
 * message once it is durable (HP-4; the provider counts its unsynced changes down by one each), and
 * "not applied" for an update a read-only session sent (HP-5). Nothing else has a Hocuspocus form.
 */
export const HOCUSPOCUS_DIALECT: SessionDialect = {
  protocol: 'hocuspocus',
  acknowledges: true,
  extension: (frame) => (frame.type === 'notice' && frame.code === NoticeCode.readOnly ? REFUSED : null),
  acks: (from, through) => Array.from({ length: through - from }, () => STORED),
};
