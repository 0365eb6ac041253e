import { CLOSE_CODE_TABLE, CloseCode, isCloseCode } from '@tandem/protocol';

/** What was closed: the whole connection, or one document of a multiplexed connection (`close-doc`). */
export type CloseScope = 'connection' | 'document';

/** What the client does after a close it did not ask for. */
export type CloseAction =
  /** Stop retrying (status `failed`): trying again cannot help. */
  | 'stop'
  /** The server restarts or drains: come back after the restart delay, spread over the fleet. */
  | 'restart'
  /** Retry after the exponential backoff. */
  | 'backoff';

/** How each reconnect hint of the close-code table is acted on. */
const ACTION_OF_HINT = {
  no: 'stop',
  'soon-elsewhere': 'restart',
  yes: 'backoff',
  backoff: 'backoff',
} as const satisfies Record<(typeof CLOSE_CODE_TABLE)[keyof typeof CLOSE_CODE_TABLE]['reconnect'], CloseAction>;

/**
 * The action for a close with `code`, read off the reconnect hints of `CLOSE_CODE_TABLE` (CLOSE-1),
 * so a code added there is acted on without a client change. Codes outside the table (1006, a
 * proxy's own) are drops: backoff. Two cases differ from the hint, each for a reason below.
 */
export function closeAction(code: number, scope: CloseScope): CloseAction {
  // The table's "no" for 1000 is about a normal close the client asked for (disconnect(), which is
  // never retried at all). One it did not ask for (a proxy or server ending the socket cleanly) is
  // retried like any drop, as y-websocket does.
  if (code === CloseCode.normal) return 'backoff';
  // A document refused by policy on a multiplexed connection (past the documents-per-connection
  // limit, MUX-4, or a forbidden frame) would be refused again: it stops while the connection's
  // other documents carry on (CLIENT-12). A connection closed with 1008 (its rate limit) backs off.
  if (code === CloseCode.policyViolation && scope === 'document') return 'stop';
  return isCloseCode(code) ? ACTION_OF_HINT[CLOSE_CODE_TABLE[code].reconnect] : 'backoff';
}

/** The client's own words for the refusals users see most (the status reason starts with them). */
const REFUSAL_WORDS: Partial<Record<number, string>> = {
  [CloseCode.unauthenticated]: 'authentication failed',
  [CloseCode.forbidden]: 'forbidden',
  [CloseCode.documentDeleted]: 'the document was deleted',
  [CloseCode.unsupportedProtocolVersion]: 'the server does not speak this protocol version',
};

/** Words for a close that stops the client: its own for the common refusals, else the table's meaning. */
export function refusalWords(code: number): string {
  return REFUSAL_WORDS[code] ?? (isCloseCode(code) ? CLOSE_CODE_TABLE[code].meaning : `closed with ${code}`);
}
