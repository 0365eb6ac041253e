export { CollaborativeEditor, type CollaborativeEditorProps, type HistoryOptions } from './collaborative-editor.js';
export { EditorFrame, FRAGMENT_FIELD, ProviderEditor } from './editor-surface.js';
export {
  createHistoryApi,
  type HistoryApi,
  HistoryApiError,
  type HistoryApiOptions,
  type RestoreResult,
  type TextChange,
  type VersionAuthor,
  type VersionComparison,
  type VersionInfo,
  type VersionKind,
  type VersionPage,
} from './history-api.js';
export {
  authorNames,
  type ChangeBlock,
  type ChangeRun,
  changeBlocks,
  changeTotals,
  formatBytes,
  kindName,
  versionTime,
  versionTitle,
} from './history-format.js';
export { HistoryPanel, type HistoryPanelProps } from './history-panel.js';
export { initials, type PresenceUser, presenceUsers } from './presence.js';
export { PresenceBar, type PresenceBarProps } from './presence-bar.js';
export { deriveStatus, describeError, type StatusInput } from './status.js';
export { StatusIndicator, type StatusIndicatorProps } from './status-indicator.js';
export { editorStyles, injectEditorStyles } from './styles.js';
export { Toolbar, type ToolbarProps } from './toolbar.js';
export type { EditorError, EditorStatus, EditorStatusState, EditorUser } from './types.js';
export { useEditorStatus } from './use-editor-status.js';
export { useLocalUser, usePresence } from './use-presence.js';
export { type ProviderConfig, useTandemProvider } from './use-tandem-provider.js';
export {
  type HistoryListState,
  useVersionHistory,
  type VersionHistory,
  type VersionHistoryOptions,
} from './use-version-history.js';
export { useVersionPreview, type VersionPreviewState } from './use-version-preview.js';
export { useWriteAccess, type WriteAccess } from './use-write-access.js';
export {
  CloseButton,
  type CloseButtonProps,
  VersionChanges,
  type VersionChangesProps,
  VersionContent,
  type VersionContentProps,
  VersionPreview,
  type VersionPreviewProps,
} from './version-preview.js';
