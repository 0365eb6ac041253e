import type { TandemProvider } from '@tandem/client';
import type { Editor } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { EditorContent, useEditor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import type { ReactNode } from 'react';
import { Toolbar } from './toolbar.js';
import type { EditorUser } from './types.js';

/** The Y.XmlFragment the document lives in (Tiptap's default field). */
export const FRAGMENT_FIELD = 'default';

/** The document's nodes and marks (StarterKit as the editor configures it), for every view of it. */
export function documentSchema() {
  // Collaboration brings a Yjs undo manager that only undoes this client's own edits.
  // No trailing node: every client would append its own empty paragraph to the shared doc.
  return StarterKit.configure({ undoRedo: false, trailingNode: false, link: { openOnClick: false, autolink: true } });
}

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
        documentSchema(),
        Collaboration.configure({ document: provider.doc, field: FRAGMENT_FIELD, provider }),
        CollaborationCaret.configure({ provider, user: { name: user.name, color: user.color } }),
      ],
      editorProps: { attributes: { 'aria-label': 'Document', spellcheck: 'true' } },
    },
    [provider],
  );
  return <EditorFrame editor={editor} side={side} />;
}
