import type { TandemProvider } from '@tandem/client';
import { DEFAULT_FIELD, defaultExtensions } from '@tandem/transform/extensions';
import type { Editor } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { EditorContent, useEditor } from '@tiptap/react';
import type { ReactNode } from 'react';
import { Toolbar } from './toolbar.js';
import type { EditorUser } from './types.js';

/** The Y.XmlFragment the document lives in (Tiptap's default field; the content API reads the same one). */
export const FRAGMENT_FIELD = DEFAULT_FIELD;

/** Props of {@link EditorFrame}. */
export interface EditorFrameProps {
  readonly editor: Editor | null;
  /** Presence bar and status, shown at the end of the toolbar row. */
  readonly side: ReactNode;
}

/** Toolbar row above the editable surface (`data-testid="editor"` wraps the `.ProseMirror`). */
export function EditorFrame({ editor, side }: EditorFrameProps) {
  return (
    <>
      <div className="tandem-editor__bar">
        <Toolbar editor={editor} />
        <div className="tandem-editor__side">{side}</div>
      </div>
      <div className="tandem-editor__surface" data-testid="editor" aria-busy={editor === null}>
        {editor === null ? null : <EditorContent editor={editor} />}
      </div>
    </>
  );
}

/** Props of {@link ProviderEditor}. */
export interface ProviderEditorProps {
  readonly provider: TandemProvider;
  /** Read once, when the editor is created; later changes go through awareness. */
  readonly user: EditorUser;
  readonly side: ReactNode;
}

/** A Tiptap editor bound to the provider's document; mount one per provider (key it). */
export function ProviderEditor({ provider, user, side }: ProviderEditorProps) {
  const editor = useEditor(
    {
      extensions: [
        // The one schema (@tandem/transform): what the server's content API reads and writes.
        // Collaboration brings a Yjs undo manager that only undoes this client's own edits.
        ...defaultExtensions(),
        Collaboration.configure({ document: provider.doc, field: FRAGMENT_FIELD, provider }),
        CollaborationCaret.configure({ provider, user: { name: user.name, color: user.color } }),
      ],
      editorProps: { attributes: { 'aria-label': 'Document', spellcheck: 'true' } },
    },
    [provider],
  );
  return <EditorFrame editor={editor} side={side} />;
}
