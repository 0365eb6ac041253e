// Tiptap's documented collaboration setup, unmodified but for the URL: Collaboration with the
// provider's document, CollaborationCaret with the provider and the user, StarterKit without its
// own undo history, and a HocuspocusProvider.
import { HocuspocusProvider } from '@hocuspocus/provider';
import { Editor } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import StarterKit from '@tiptap/starter-kit';

const params = new URLSearchParams(location.search);
const provider = new HocuspocusProvider({
  url: `${location.origin.replace(/^http/, 'ws')}/hocuspocus`,
  name: params.get('doc') ?? 'example-document',
});

const editor = new Editor({
  element: document.querySelector('#editor') as HTMLElement,
  extensions: [
    StarterKit.configure({ undoRedo: false }),
    Collaboration.configure({ document: provider.document }),
    CollaborationCaret.configure({
      provider,
      user: { name: params.get('name') ?? 'Anonymous', color: params.get('color') ?? '#958DF1' },
    }),
  ],
});

/** What the browser test drives and reads. */
declare global {
  interface Window {
    collab: { provider: HocuspocusProvider; editor: Editor };
  }
}
window.collab = { provider, editor };
