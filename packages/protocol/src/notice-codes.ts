/** Codes carried by a tandem.v1 notice frame. Codes < 1000 are informational, >= 1000 are errors. */
export const NoticeCode = {
  /** Informational: the session is read-only. */
  readOnly: 1,
  /** Error: a frame could not be decoded; the session is being closed. */
  undecodable: 1007,
  /** Error: the message is not allowed (e.g. a rate limit or a forbidden frame). */
  policyViolation: 1008,
  /** Error: the document could not be loaded. */
  loadFailed: 1011,
  /** Error: permission denied on this document. */
  permissionDenied: 4403,
} as const;
