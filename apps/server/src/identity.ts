/**
 * Who a connection speaks for: the neutral types that authentication produces and rooms and
 * connections read (neither imports the other for them).
 */

/** What a user may do with a document. */
export type Permission = 'write' | 'read' | 'none';

/** One entry of a token's `docs` claim: a document name or a pattern with `*` wildcards. */
export interface PermissionRule {
  readonly pattern: string;
  readonly permission: Permission;
}

/** Who a verified token speaks for, and what it allows. */
export interface Identity {
  readonly userId: string;
  readonly name: string;
  readonly color: string | null;
  readonly rules: readonly PermissionRule[];
  /** Expiry, in ms since the epoch. */
  readonly expiresAt: number;
  /** When the token was issued (`iat`), in ms since the epoch; absent when the token has no `iat`. */
  readonly issuedAt?: number;
}

declare const documentIdBrand: unique symbol;
declare const sessionIdBrand: unique symbol;

/** A document's (room's) name, once parsed and validated (at most 512 bytes, printable). */
export type DocumentId = string & { readonly [documentIdBrand]: true };

/** One session's id (a UUID), as logged and shown in the admin API. */
export type SessionId = string & { readonly [sessionIdBrand]: true };
