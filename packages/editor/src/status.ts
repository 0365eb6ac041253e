import type { ConnectionStatus } from '@tandem/client';
import type { EditorError, EditorStatus, EditorStatusState } from './types.js';

/** What {@link deriveStatus} reads from a provider. */
export interface StatusInput {
  readonly connection: ConnectionStatus;
  readonly synced: boolean;
  readonly unsyncedChanges: number;
  /** The last error since the connection last opened, if any. */
  readonly error: EditorError | null;
  /** True once the connection has been down at least once: retries then read as offline. */
  readonly wasDown: boolean;
}

const LABELS: Record<Exclude<EditorStatus, 'error'>, string> = {
  connecting: 'Connecting…',
  online: 'Online',
  offline: 'Offline',
  saving: 'Saving…',
  saved: 'Saved',
};

const DEFAULT_REASONS: Record<number, string> = {
  4401: 'authentication failed (missing or expired token)',
  4403: 'forbidden',
};

/** Maps the provider's state to the one status the indicator shows. */
export function deriveStatus(input: StatusInput): EditorStatusState {
  const { connection, synced, unsyncedChanges, error } = input;
  const base = { unsyncedChanges, error: null };
  if (error !== null) return { status: 'error', label: `Error: ${describeError(error)}`, unsyncedChanges, error };
  let status: EditorStatus;
  if (connection === 'connected') {
    // "Saved" only after the server's durable ack: unsynced changes count until then.
    status = unsyncedChanges > 0 ? 'saving' : synced ? 'saved' : 'online';
  } else if (connection === 'connecting' && !input.wasDown) {
    status = 'connecting';
  } else {
    status = 'offline';
  }
  return { ...base, status, label: LABELS[status] };
}

/** Human text for a provider error, e.g. "forbidden: not a member (4403)". */
export function describeError(error: EditorError): string {
  const reason = error.reason.trim().replace(/:\s*$/, '');
  const text = reason.length > 0 ? reason : (DEFAULT_REASONS[error.code] ?? 'connection failed');
  return `${text} (${error.code})`;
}
