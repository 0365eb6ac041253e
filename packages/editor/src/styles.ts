/** The editor's stylesheet: layout, toolbar, presence bar, status and collaboration carets. */
export const editorStyles = `
.tandem-editor { display: flex; flex-direction: column; border: 1px solid #d0d4db; border-radius: 8px; background: #fff; color: #1d2330; font: 15px/1.6 system-ui, sans-serif; }
.tandem-editor__bar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; padding: 6px 8px; border-bottom: 1px solid #e3e6eb; background: #f8f9fb; border-radius: 8px 8px 0 0; position: sticky; top: 0; z-index: 2; }
.tandem-editor__side { display: flex; align-items: center; gap: 12px; margin-left: auto; }
.tandem-editor__surface { padding: 16px 20px; min-height: 240px; }
.tandem-editor__surface .ProseMirror { outline: none; min-height: 208px; white-space: pre-wrap; word-wrap: break-word; }
.tandem-editor__surface .ProseMirror p { margin: 0 0 .6em; }
.tandem-editor__surface .ProseMirror pre { background: #1d2330; color: #e8ebf0; padding: 10px 12px; border-radius: 6px; font: 13px/1.5 ui-monospace, monospace; }
.tandem-editor__surface .ProseMirror a { color: #2456d6; }
.tandem-toolbar { display: flex; flex-wrap: wrap; gap: 2px; }
.tandem-toolbar__button { min-width: 32px; height: 30px; padding: 0 8px; border: 1px solid transparent; border-radius: 5px; background: none; color: inherit; font: inherit; font-size: 13px; cursor: pointer; }
.tandem-toolbar__button:hover:not(:disabled) { background: #e8ebf0; }
.tandem-toolbar__button[aria-pressed="true"] { background: #dde5fb; border-color: #b8c8f3; }
.tandem-toolbar__button:disabled { opacity: .4; cursor: default; }
.tandem-presence { display: flex; gap: 4px; margin: 0; padding: 0; list-style: none; }
.tandem-presence__user { display: flex; align-items: center; gap: 4px; }
.tandem-presence__avatar { display: inline-flex; align-items: center; justify-content: center; width: 26px; height: 26px; border-radius: 50%; color: #fff; font-size: 11px; font-weight: 600; text-shadow: 0 0 2px rgba(0,0,0,.45); }
.tandem-presence__name { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.tandem-presence__you { font-size: 12px; color: #6b7385; margin-right: 4px; }
.tandem-presence__user[data-local] .tandem-presence__avatar { box-shadow: 0 0 0 2px #fff, 0 0 0 3px #1d2330; }
.tandem-status { display: inline-flex; align-items: center; gap: 6px; font-size: 13px; color: #4a5263; white-space: nowrap; }
.tandem-status__dot { width: 8px; height: 8px; border-radius: 50%; background: #9aa3b2; }
.tandem-status--online .tandem-status__dot, .tandem-status--saved .tandem-status__dot { background: #1f9d55; }
.tandem-status--saving .tandem-status__dot { background: #e0a400; }
.tandem-status--offline .tandem-status__dot { background: #8a93a3; }
.tandem-status--error { color: #b42318; }
.tandem-status--error .tandem-status__dot { background: #d92d20; }
.collaboration-carets__caret { position: relative; margin-left: -1px; margin-right: -1px; border-left: 1px solid #0d0d0d; border-right: 1px solid #0d0d0d; word-break: normal; pointer-events: none; }
.collaboration-carets__label { position: absolute; top: -1.4em; left: -1px; padding: 0.1rem 0.3rem; border-radius: 3px 3px 3px 0; color: #0d0d0d; font-size: 12px; font-style: normal; font-weight: 600; line-height: normal; white-space: nowrap; user-select: none; }
`;

const STYLE_ID = 'tandem-editor-styles';

/** Adds {@link editorStyles} to the document once (no-op outside a browser). */
export function injectEditorStyles(): void {
  const doc = (globalThis as { document?: Document }).document;
  if (doc === undefined || doc.getElementById(STYLE_ID) !== null) return;
  const style = doc.createElement('style');
  style.id = STYLE_ID;
  style.textContent = editorStyles;
  doc.head.appendChild(style);
}
