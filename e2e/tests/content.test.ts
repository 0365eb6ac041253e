import { waitFor } from '@tandem/test-utils';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  createDocument,
  editor,
  editorText,
  openDocument,
  typeAtEndOfParagraph,
  waitForStatus,
  waitForText,
} from '../src/pages.js';
import type { AppServer } from '../src/server.js';
import { browserSuite } from '../src/suite.js';

/** The content API of `server` for document `id`. */
function contentApi(server: AppServer, id: string) {
  const url = (query = '') => `${server.httpUrl}/api/documents/${id}/content${query}`;
  return {
    async read(format: string): Promise<string> {
      const response = await fetch(url(`?format=${format}`));
      if (response.status !== 200) throw new Error(`GET ${format}: HTTP ${response.status} ${await response.text()}`);
      return response.text();
    },
    async append(markdown: string): Promise<Response> {
      return fetch(url(), { method: 'POST', headers: { 'content-type': 'text/markdown' }, body: markdown });
    },
  };
}

describe('the content API and the editor in the browser', () => {
  const suite = browserSuite();

  const open = async (id: string, name: string): Promise<Page> => {
    return openDocument(await suite.context(), `${suite.server.httpUrl}/d/${id}`, name);
  };

  it('CONTENT-7: a REST append while two people type: both see it live, nothing of theirs is lost, and it is durable at the 200 (kill -9)', async () => {
    const id = await createDocument(suite.server.httpUrl, 'Typed and appended');
    const api = contentApi(suite.server, id);
    const alice = await open(id, 'Alice');
    const bob = await open(id, 'Bob');
    await editor(alice).click();
    await alice.keyboard.type('Alice:');
    await waitForText(bob, (t) => t === 'Alice:');
    await typeAtEndOfParagraph(bob, 0, '');
    await bob.keyboard.press('Enter');
    await bob.keyboard.type('Bob:');
    await waitForText(alice, (t) => t === 'Alice:\nBob:');

    // Both keep typing, key by key, while a backend appends two blocks.
    const aliceTypes = typeAtEndOfParagraph(alice, 0, ' one two three four five').then(() => undefined);
    const bobTypes = bob.keyboard.type(' six seven eight nine ten', { delay: 15 });
    const appended = api.append('## From the API\n\nAppended while **both** typed.');
    const [response] = await Promise.all([appended, aliceTypes, bobTypes]);
    expect(response.status).toBe(200);
    const expected =
      'Alice: one two three four five\nBob: six seven eight nine ten\nFrom the API\nAppended while both typed.';
    await waitForText(alice, (t) => t === expected);
    await waitForText(bob, (t) => t === expected);
    await waitForStatus(alice, 'saved');
    await waitForStatus(bob, 'saved');
    expect(await api.read('text')).toBe(expected);

    // Another append, and the server is killed the moment it answers: the change was durable.
    const last = await api.append('Written just before the crash.');
    expect(last.status).toBe(200);
    suite.server.process.child.kill('SIGKILL');
    expect((await suite.server.process.exited).signal).toBe('SIGKILL');
    await suite.server.start();
    const after = `${expected}\nWritten just before the crash.`;
    expect(await api.read('text')).toBe(after);
    expect(await api.read('markdown')).toBe(
      'Alice: one two three four five\n\nBob: six seven eight nine ten\n\n## From the API\n\nAppended while **both** typed.\n\nWritten just before the crash.',
    );
    // The browsers reconnect and show it too.
    await waitForText(alice, (t) => t === after, 30_000);
    await waitForText(bob, (t) => t === after, 30_000);
    expect(await editorText(alice)).toBe(await editorText(bob));
  });

  it('CONTENT-8: what the editor writes in Chromium reads back through the API as the expected Markdown and HTML', async () => {
    const id = await createDocument(suite.server.httpUrl, 'Written in the editor');
    const api = contentApi(suite.server, id);
    const page = await open(id, 'Writer');
    await editor(page).click();
    // Markdown shortcuts of the editor's schema (Tiptap input rules), as a person types them.
    await page.keyboard.type('# Release notes');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Now with **bold** and *italic* text and `code`; see https://tandem.example for more.');
    await page.keyboard.press('Enter');
    await page.keyboard.type('- first');
    await page.keyboard.press('Enter');
    await page.keyboard.type('second');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('> quoted');
    await waitForStatus(page, 'saved');
    await waitFor(async () => (await api.read('markdown')).endsWith('> quoted'), { what: 'the API to read the quote' });

    expect(await api.read('markdown')).toBe(
      [
        '# Release notes',
        'Now with **bold** and *italic* text and `code`; see [https://tandem.example](https://tandem.example) for more.',
        '- first\n- second',
        '> quoted',
      ].join('\n\n'),
    );
    expect(await api.read('html')).toBe(
      '<h1>Release notes</h1>' +
        '<p>Now with <strong>bold</strong> and <em>italic</em> text and <code>code</code>; see ' +
        '<a target="_blank" rel="noopener noreferrer nofollow" href="https://tandem.example">https://tandem.example</a> for more.</p>' +
        '<ul><li><p>first</p></li><li><p>second</p></li></ul>' +
        '<blockquote><p>quoted</p></blockquote>',
    );
    expect(await api.read('text')).toBe(
      'Release notes\nNow with bold and italic text and code; see https://tandem.example for more.\nfirst\nsecond\nquoted',
    );
  });
});
