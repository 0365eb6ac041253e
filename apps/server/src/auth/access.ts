import { CloseCode } from '@tandem/protocol';
import type { Identity } from '../identity.js';
import { permissionFor } from './permissions.js';
import type { TokenVerifier } from './token-verifier.js';

/** Access granted to a document: an immutable value; whoever holds it (a session) acts on its expiry. */
export interface Access {
  readonly ok: true;
  /** Who was granted access; null in open mode. */
  readonly identity: Identity | null;
  readonly canWrite: boolean;
}

/** Whether an identity may open a document, and how. */
export type AccessResult = Access | { readonly ok: false; readonly code: number; readonly reason: string };

/** What open mode grants on every document. */
export const OPEN_ACCESS: Access = Object.freeze({ ok: true, identity: null, canWrite: true });

/** Verifies `token` (if auth is on) and resolves the access it gives to `docId`. */
export async function accessFor(
  verifier: TokenVerifier | null,
  token: string | null,
  docId: string,
): Promise<AccessResult> {
  if (verifier === null) return OPEN_ACCESS;
  if (token === null) return { ok: false, code: CloseCode.unauthenticated, reason: 'authentication required' };
  const verified = await verifier.verify(token);
  if (!verified.ok) return { ok: false, code: CloseCode.unauthenticated, reason: verified.reason };
  return accessOf(verified.identity, docId);
}

/** The access a verified identity gives to `docId`. */
export function accessOf(identity: Identity, docId: string): AccessResult {
  const permission = permissionFor(identity.rules, docId);
  if (permission === 'none') {
    return { ok: false, code: CloseCode.forbidden, reason: `not allowed on document ${JSON.stringify(docId)}` };
  }
  return Object.freeze({ ok: true, identity, canWrite: permission === 'write' });
}
