import type { Editor } from '@tiptap/core';
import { useEditorState } from '@tiptap/react';
// The commands of the schema's extensions (@tandem/transform's StarterKit) type-check through its declarations.
import type {} from '@tiptap/starter-kit';
import type { ReactNode } from 'react';

/** Props of {@link Toolbar}. */
export interface ToolbarProps {
  /** Null while the document is still being opened: the buttons are then disabled. */
  readonly editor: Editor | null;
}

interface ToolState {
  readonly bold: boolean;
  readonly italic: boolean;
  readonly h1: boolean;
  readonly h2: boolean;
  readonly bulletList: boolean;
  readonly orderedList: boolean;
  readonly codeBlock: boolean;
  readonly link: boolean;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
}

const IDLE: ToolState = {
  bold: false,
  italic: false,
  h1: false,
  h2: false,
  bulletList: false,
  orderedList: false,
  codeBlock: false,
  link: false,
  canUndo: false,
  canRedo: false,
};

/** Headings, bold, italic, lists, code block, link, undo/redo (Yjs undo: your own edits only). */
export function Toolbar({ editor }: ToolbarProps) {
  const state =
    useEditorState({
      editor,
      selector: ({ editor: e }): ToolState =>
        e === null
          ? IDLE
          : {
              bold: e.isActive('bold'),
              italic: e.isActive('italic'),
              h1: e.isActive('heading', { level: 1 }),
              h2: e.isActive('heading', { level: 2 }),
              bulletList: e.isActive('bulletList'),
              orderedList: e.isActive('orderedList'),
              codeBlock: e.isActive('codeBlock'),
              link: e.isActive('link'),
              canUndo: e.can().undo(),
              canRedo: e.can().redo(),
            },
    }) ?? IDLE;
  const off = editor === null;
  const run = (command: (e: Editor) => void) => () => {
    if (editor !== null) command(editor);
  };

  return (
    <div className="tandem-toolbar" role="toolbar" aria-label="Formatting">
      <Tool id="h1" label="Heading 1" active={state.h1} disabled={off} onClick={run(toggleHeading(1))}>
        H1
      </Tool>
      <Tool id="h2" label="Heading 2" active={state.h2} disabled={off} onClick={run(toggleHeading(2))}>
        H2
      </Tool>
      <Tool
        id="bold"
        label="Bold"
        active={state.bold}
        disabled={off}
        onClick={run((e) => e.chain().focus().toggleBold().run())}
      >
        <b>B</b>
      </Tool>
      <Tool
        id="italic"
        label="Italic"
        active={state.italic}
        disabled={off}
        onClick={run((e) => e.chain().focus().toggleItalic().run())}
      >
        <i>I</i>
      </Tool>
      <Tool
        id="bullet-list"
        label="Bullet list"
        active={state.bulletList}
        disabled={off}
        onClick={run((e) => e.chain().focus().toggleBulletList().run())}
      >
        • List
      </Tool>
      <Tool
        id="ordered-list"
        label="Numbered list"
        active={state.orderedList}
        disabled={off}
        onClick={run((e) => e.chain().focus().toggleOrderedList().run())}
      >
        1. List
      </Tool>
      <Tool
        id="code-block"
        label="Code block"
        active={state.codeBlock}
        disabled={off}
        onClick={run((e) => e.chain().focus().toggleCodeBlock().run())}
      >
        {'</>'}
      </Tool>
      <Tool
        id="link"
        label={state.link ? 'Remove link' : 'Link'}
        active={state.link}
        disabled={off}
        onClick={run(toggleLink)}
      >
        Link
      </Tool>
      <Tool
        id="undo"
        label="Undo"
        disabled={off || !state.canUndo}
        onClick={run((e) => e.chain().focus().undo().run())}
      >
        ↶
      </Tool>
      <Tool
        id="redo"
        label="Redo"
        disabled={off || !state.canRedo}
        onClick={run((e) => e.chain().focus().redo().run())}
      >
        ↷
      </Tool>
    </div>
  );
}

interface ToolProps {
  readonly id: string;
  readonly label: string;
  readonly active?: boolean;
  readonly disabled: boolean;
  readonly onClick: () => void;
  readonly children: ReactNode;
}

function Tool({ id, label, active, disabled, onClick, children }: ToolProps) {
  return (
    <button
      type="button"
      className="tandem-toolbar__button"
      data-testid={`tool-${id}`}
      aria-label={label}
      title={label}
      aria-pressed={active === undefined ? undefined : active}
      disabled={disabled}
      // Keep the editor's selection: a click would otherwise blur it first.
      onMouseDown={(event) => event.preventDefault()}
      onClick={onClick}
    >
      {children}
    </button>
  );
}

function toggleHeading(level: 1 | 2) {
  return (e: Editor) => e.chain().focus().toggleHeading({ level }).run();
}

function toggleLink(e: Editor): void {
  if (e.isActive('link')) {
    e.chain().focus().extendMarkRange('link').unsetLink().run();
    return;
  }
  const href = globalThis.prompt?.('Link URL', 'https://')?.trim();
  if (href === undefined || href === '' || href === 'https://') return;
  if (e.state.selection.empty) {
    e.chain()
      .focus()
      .insertContent({ type: 'text', text: href, marks: [{ type: 'link', attrs: { href } }] })
      .run();
  } else {
    e.chain().focus().extendMarkRange('link').setLink({ href }).run();
  }
}
