/** WebSocket close codes used by Tandem; the one table both server and client use. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  undecodable: 1007,
  policyViolation: 1008,
  tooLarge: 1009,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  unsupportedProtocolVersion: 4400,
  unauthenticated: 4401,
  forbidden: 4403,
  documentDeleted: 4404,
  clientIdTakenOver: 4409,
} as const;

/** One of the close codes in {@link CloseCode}. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** What each close code means and what a client should do about it. */
export const CLOSE_CODE_TABLE: Readonly<
  Record<CloseCodeValue, { readonly meaning: string; readonly reconnect: 'yes' | 'soon-elsewhere' | 'backoff' | 'no' }>
> = {
  1000: { meaning: 'normal closure', reconnect: 'no' },
  1001: { meaning: 'server going away; reconnect elsewhere', reconnect: 'soon-elsewhere' },
  1007: { meaning: 'undecodable frame', reconnect: 'backoff' },
  1008: { meaning: 'policy violation (rate limit, forbidden message)', reconnect: 'backoff' },
  1009: { meaning: 'frame over the size limit', reconnect: 'backoff' },
  1011: { meaning: 'internal error (e.g. document failed to load)', reconnect: 'backoff' },
  1012: { meaning: 'server restarting (graceful deploy)', reconnect: 'soon-elsewhere' },
  1013: { meaning: 'overloaded / slow consumer / store backlog full (writes paused)', reconnect: 'backoff' },
  4400: { meaning: 'unsupported protocol version', reconnect: 'no' },
  4401: { meaning: 'authentication missing, invalid or expired', reconnect: 'no' },
  4403: { meaning: 'authenticated but not allowed on this document', reconnect: 'no' },
  4404: { meaning: 'the document was deleted', reconnect: 'no' },
  4409: {
    meaning: 'a newer session of the same client took over this Yjs client id (it reconnected)',
    reconnect: 'backoff',
  },
};

/** True when `code` is one of Tandem's documented close codes. */
export function isCloseCode(code: number): code is CloseCodeValue {
  return Object.hasOwn(CLOSE_CODE_TABLE, code);
}
