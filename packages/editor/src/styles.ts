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
.tandem-presence__name, .tandem-history__legend { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.tandem-presence__you { font-size: 12px; color: #6b7385; margin-right: 4px; }
.tandem-presence__user[data-local] .tandem-presence__avatar { box-shadow: 0 0 0 2px #fff, 0 0 0 3px #1d2330; }
.tandem-status { display: inline-flex; align-items: center; gap: 6px; font-size: 13px; color: #4a5263; white-space: nowrap; }
.tandem-status__dot { width: 8px; height: 8px; border-radius: 50%; background: #9aa3b2; }
.tandem-status--online .tandem-status__dot, .tandem-status--saved .tandem-status__dot { background: #1f9d55; }
.tandem-status--saving .tandem-status__dot { background: #e0a400; }
.tandem-status--offline .tandem-status__dot { background: #8a93a3; }
.tandem-status--error { color: #b42318; }
.tandem-status--error .tandem-status__dot { background: #d92d20; }
.tandem-editor__main { display: flex; flex-direction: column; flex: 1; min-width: 0; }
.tandem-editor--with-history { flex-direction: row; align-items: stretch; }
.tandem-history { display: flex; flex-direction: column; gap: 10px; width: 340px; flex: none; padding: 10px 12px; border-left: 1px solid #e3e6eb; background: #f8f9fb; border-radius: 0 8px 8px 0; font-size: 14px; max-height: 80vh; overflow-y: auto; }
.tandem-history__head, .tandem-history__preview-head { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
.tandem-history__heading { margin: 0; font-size: 15px; font-weight: 600; }
.tandem-history__title { margin: 0; font-size: 14px; font-weight: 600; overflow-wrap: anywhere; }
.tandem-history__name { display: flex; flex-direction: column; gap: 4px; }
.tandem-history__label { font-size: 12px; font-weight: 600; color: #4a5263; }
.tandem-history__row { display: flex; gap: 6px; }
.tandem-history__input { flex: 1; min-width: 0; padding: 5px 8px; border: 1px solid #d0d4db; border-radius: 5px; font: inherit; font-size: 13px; }
.tandem-history__input:focus-visible, .tandem-history__button:focus-visible, .tandem-history__item:focus-visible, .tandem-toolbar__button:focus-visible { outline: 2px solid #2456d6; outline-offset: 1px; }
.tandem-history__button { align-self: flex-start; height: 30px; padding: 0 10px; border: 1px solid #d0d4db; border-radius: 5px; background: #fff; color: inherit; font: inherit; font-size: 13px; cursor: pointer; }
.tandem-history__button:hover:not(:disabled) { background: #e8ebf0; }
.tandem-history__button:disabled { opacity: .5; cursor: default; }
.tandem-history__button--primary { background: #2456d6; border-color: #2456d6; color: #fff; }
.tandem-history__button--primary:hover:not(:disabled) { background: #1c45ad; }
.tandem-history__list { display: flex; flex-direction: column; gap: 2px; margin: 0; padding: 0; list-style: none; max-height: 40vh; overflow-y: auto; }
.tandem-history__item { display: grid; grid-template-columns: 1fr auto; gap: 2px 8px; width: 100%; padding: 6px 8px; border: 1px solid transparent; border-radius: 6px; background: none; color: inherit; font: inherit; text-align: left; cursor: pointer; }
.tandem-history__item:hover { background: #e8ebf0; }
.tandem-history__item[aria-pressed="true"] { background: #dde5fb; border-color: #b8c8f3; }
.tandem-history__item-title { font-weight: 500; overflow-wrap: anywhere; }
.tandem-history__meta { grid-column: 1 / -1; font-size: 12px; color: #6b7385; }
.tandem-history__kind { align-self: start; padding: 0 6px; border-radius: 9px; font-size: 11px; line-height: 18px; background: #e8ebf0; color: #4a5263; }
.tandem-history__kind--named { background: #dde5fb; color: #1c45ad; }
.tandem-history__kind--implicit { background: #fff4e5; color: #7a4b00; }
.tandem-history__note { margin: 0; font-size: 12px; color: #6b7385; }
.tandem-history__error { margin: 0; font-size: 13px; color: #b42318; }
.tandem-history__preview { display: flex; flex-direction: column; gap: 8px; padding-top: 10px; border-top: 1px solid #e3e6eb; }
.tandem-history__tabs { display: flex; gap: 2px; margin: 0; padding: 0; border: none; }
.tandem-history__changes, .tandem-history__content { padding: 8px 10px; border: 1px solid #e3e6eb; border-radius: 6px; background: #fff; max-height: 40vh; overflow-y: auto; }
.tandem-history__changes p { margin: 0 0 .4em; white-space: pre-wrap; overflow-wrap: anywhere; }
.tandem-history__changes ins { background: #dcfce7; color: #14532d; text-decoration: none; box-shadow: inset 0 -1px #16a34a; }
.tandem-history__changes del { background: #fee2e2; color: #7f1d1d; text-decoration: line-through; }
.tandem-history__content .ProseMirror { outline: none; white-space: pre-wrap; }
.tandem-history__content .ProseMirror p { margin: 0 0 .5em; }
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
