import type { EditorStatusState } from './types.js';

/** Props of {@link StatusIndicator}. */
export interface StatusIndicatorProps {
  readonly state: EditorStatusState;
}

/** Connection and save state: Connecting…, Online, Offline, Saving…, Saved or Error: reason. */
export function StatusIndicator({ state }: StatusIndicatorProps) {
  const pending =
    state.status === 'offline' && state.unsyncedChanges > 0
      ? `${state.unsyncedChanges} change${state.unsyncedChanges === 1 ? '' : 's'} not yet saved on the server`
      : undefined;
  return (
    <output
      className={`tandem-status tandem-status--${state.status}`}
      data-testid="status"
      data-status={state.status}
      data-unsynced={state.unsyncedChanges}
      title={pending ?? state.label}
      aria-live="polite"
    >
      <span className="tandem-status__dot" aria-hidden="true" />
      {state.label}
    </output>
  );
}
