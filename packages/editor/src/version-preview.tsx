import { defaultExtensions } from '@tandem/transform/extensions';
import Collaboration from '@tiptap/extension-collaboration';
import { EditorContent, useEditor } from '@tiptap/react';
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import * as Y from 'yjs';
import { FRAGMENT_FIELD } from './editor-surface.js';
import type { TextChange } from './history-api.js';
import { changeBlocks, changeTotals, versionTime, versionTitle } from './history-format.js';
import type { VersionPreviewState } from './use-version-preview.js';

/** Props of {@link VersionChanges}. */
export interface VersionChangesProps {
  readonly changes: readonly TextChange[];
}

/** A comparison as text: inserted runs in `<ins>` (green), deleted ones in `<del>` (red), by block. */
export function VersionChanges({ changes }: VersionChangesProps) {
  const blocks = changeBlocks(changes);
  return (
    <div className="tandem-history__changes" data-testid="version-changes">
      {blocks.map((block) => (
        <p key={block.at}>
          {block.runs.map((run) => {
            if (run.type === 'insert') return <ins key={run.at}>{run.text}</ins>;
            if (run.type === 'delete') return <del key={run.at}>{run.text}</del>;
            return <span key={run.at}>{run.text}</span>;
          })}
        </p>
      ))}
    </div>
  );
}

/** Props of {@link VersionContent}. */
export interface VersionContentProps {
  /** The version's state as one Yjs update (the content route's `format=yjs`). */
  readonly state: Uint8Array;
}

/** The version's rich content in a read-only Tiptap editor, bound to a private copy of the version. */
export function VersionContent({ state }: VersionContentProps) {
  const doc = useMemo(() => {
    const version = new Y.Doc();
    Y.applyUpdate(version, state);
    return version;
  }, [state]);
  useEffect(() => () => doc.destroy(), [doc]);
  const editor = useEditor(
    {
      extensions: [...defaultExtensions(), Collaboration.configure({ document: doc, field: FRAGMENT_FIELD })],
      editable: false,
      editorProps: { attributes: { 'aria-label': 'Version content (read-only)' } },
    },
    [doc],
  );
  return (
    <div className="tandem-history__content" data-testid="version-content">
      {editor === null ? null : <EditorContent editor={editor} />}
    </div>
  );
}

/** Props of {@link VersionPreview}. */
export interface VersionPreviewProps {
  readonly state: VersionPreviewState;
  /** Offer "Restore this version" (only with write access). */
  readonly canWrite: boolean;
  readonly restoring: boolean;
  readonly onRestore: (versionId: string) => void;
  readonly onClose: () => void;
}

/** The chosen version, read-only: its changes up to now (default) or its content, and the restore button. */
export function VersionPreview({ state, canWrite, restoring, onRestore, onClose }: VersionPreviewProps) {
  const [view, setView] = useState<PreviewView>('changes');
  if (state.phase === 'none') return null;
  const title = state.phase === 'ready' ? versionTitle(state.comparison.from) : 'Version';
  return (
    <section
      className="tandem-history__preview"
      data-testid="version-preview"
      data-version={state.versionId}
      data-phase={state.phase}
      aria-label={`Preview: ${title}`}
    >
      <div className="tandem-history__preview-head">
        <h3 className="tandem-history__title">{title}</h3>
        <CloseButton testId="preview-close" label="Close preview" onClick={onClose} />
      </div>
      {state.phase === 'loading' ? (
        <p className="tandem-history__note" data-testid="preview-loading" role="status">
          Loading version…
        </p>
      ) : null}
      {state.phase === 'failed' ? (
        <p className="tandem-history__error" data-testid="preview-error" role="alert">
          {state.message}
        </p>
      ) : null}
      {state.phase === 'ready' ? (
        <>
          <p className="tandem-history__note">
            {versionTime(state.comparison.from.createdAt)} · {summary(state.comparison.changes)}
          </p>
          <fieldset className="tandem-history__tabs">
            <legend className="tandem-history__legend">Show</legend>
            <ViewButton view="changes" shown={view} onShow={setView}>
              Changes since
            </ViewButton>
            <ViewButton view="content" shown={view} onShow={setView}>
              This version
            </ViewButton>
          </fieldset>
          {view === 'changes' ? (
            <VersionChanges changes={state.comparison.changes} />
          ) : (
            <VersionContent state={state.state} />
          )}
          {canWrite ? (
            <button
              type="button"
              className="tandem-history__button tandem-history__button--primary"
              data-testid="restore-version"
              disabled={restoring}
              onClick={() => onRestore(state.versionId)}
            >
              {restoring ? 'Restoring…' : 'Restore this version'}
            </button>
          ) : (
            <p className="tandem-history__note" data-testid="restore-unavailable">
              Read-only access: restoring needs write access.
            </p>
          )}
        </>
      ) : null}
    </section>
  );
}

/** Props of {@link CloseButton}. */
export interface CloseButtonProps {
  readonly testId: string;
  readonly label: string;
  readonly onClick: () => void;
}

/** A small "×" button in the toolbar's style. */
export function CloseButton({ testId, label, onClick }: CloseButtonProps) {
  return (
    <button
      type="button"
      className="tandem-toolbar__button"
      data-testid={testId}
      aria-label={label}
      title={label}
      onClick={onClick}
    >
      ×
    </button>
  );
}

type PreviewView = 'changes' | 'content';

function ViewButton(props: {
  readonly view: PreviewView;
  readonly shown: PreviewView;
  readonly onShow: (view: PreviewView) => void;
  readonly children: ReactNode;
}) {
  return (
    <button
      type="button"
      className="tandem-toolbar__button"
      data-testid={`preview-${props.view}`}
      aria-pressed={props.view === props.shown}
      onClick={() => props.onShow(props.view)}
    >
      {props.children}
    </button>
  );
}

function summary(changes: readonly TextChange[]): string {
  const { inserted, deleted } = changeTotals(changes);
  if (inserted === 0 && deleted === 0) return 'same as now';
  return `since then: +${inserted} / −${deleted} characters`;
}
