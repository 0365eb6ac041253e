/** The local user as others see them: the caret label and the presence bar. */
export interface EditorUser {
  readonly name: string;
  /** Any CSS color; carets, selections and avatars use it. */
  readonly color: string;
}

/** What the status indicator shows (also the `data-status` attribute). */
export type EditorStatus = 'connecting' | 'online' | 'offline' | 'saving' | 'saved' | 'error';

/** A refusal or failure reported by the provider's `error` event. */
export interface EditorError {
  readonly code: number;
  readonly reason: string;
}

/** The editor's connection and save state, as passed to `onStatusChange`. */
export interface EditorStatusState {
  readonly status: EditorStatus;
  /** Human text: "Connecting…", "Online", "Offline", "Saving…", "Saved", "Error: <reason>". */
  readonly label: string;
  /** Local changes the server has not yet acknowledged as durable. */
  readonly unsyncedChanges: number;
  /** The error behind `status === 'error'`, else null. */
  readonly error: EditorError | null;
}
