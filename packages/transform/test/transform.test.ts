import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONContent } from '@tiptap/core';
import { TableKit } from '@tiptap/extension-table';
import StarterKit from '@tiptap/starter-kit';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createTransform, DEFAULT_FIELD, TransformError } from '../src/index.js';

const CORPUS = join(import.meta.dirname, 'corpus');
const corpus = readdirSync(CORPUS)
  .filter((name) => name.endsWith('.md'))
  .sort()
  .map((name) => ({ name, markdown: readFileSync(join(CORPUS, name), 'utf8') }));

const transform = createTransform();

function docOf(update: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  return doc;
}

function copy(doc: Y.Doc): Y.Doc {
  return docOf(Y.encodeStateAsUpdate(doc));
}

const paragraph = (text: string): JSONContent => ({ type: 'paragraph', content: [{ type: 'text', text }] });
const docWith = (...blocks: JSONContent[]): JSONContent => ({ type: 'doc', content: blocks });

/** Types `text` at the end of the block at `index` of doc's field, as an editor would. */
function typeInto(doc: Y.Doc, index: number, text: string): void {
  const block = doc.getXmlFragment(DEFAULT_FIELD).get(index) as Y.XmlElement;
  const run = block.get(0) as Y.XmlText;
  run.insert(run.length, text);
}

describe('round trips over the corpus', () => {
  it('XFORM-1: has documents with headings, lists, marks, links, code blocks, blockquotes and rules', () => {
    const types = new Set<string>();
    const walk = (node: JSONContent) => {
      types.add(node.type ?? '');
      for (const mark of node.marks ?? []) types.add(mark.type);
      for (const child of node.content ?? []) walk(child);
    };
    for (const { markdown } of corpus) walk(transform.fromMarkdown(markdown));
    for (const type of ['heading', 'bulletList', 'orderedList', 'blockquote', 'codeBlock', 'horizontalRule']) {
      expect(types, type).toContain(type);
    }
    for (const mark of ['bold', 'italic', 'strike', 'code', 'link']) expect(types, mark).toContain(mark);
    expect(types).toContain('hardBreak');
  });

  for (const { name, markdown } of corpus) {
    describe(name, () => {
      const json = transform.fromMarkdown(markdown);

      it('XFORM-1: Markdown → JSON → Markdown → JSON is stable, and the Markdown is a fixpoint', () => {
        const rendered = transform.toMarkdown(json);
        expect(transform.fromMarkdown(rendered)).toEqual(json);
        expect(transform.toMarkdown(transform.fromMarkdown(rendered))).toBe(rendered);
      });

      it('XFORM-1: JSON → Yjs update → Y.Doc → JSON is exact', () => {
        expect(transform.toProseMirror(docOf(transform.toUpdate(json)))).toEqual(json);
      });

      it('XFORM-1: JSON → HTML → JSON is exact, from JSON and from the Y.Doc', () => {
        const html = transform.toHTML(json);
        expect(transform.fromHTML(html)).toEqual(json);
        expect(transform.toHTML(docOf(transform.toUpdate(json)))).toBe(html);
      });

      it('XFORM-1: text → JSON → text is exact', () => {
        const text = transform.toText(json);
        expect(transform.toText(transform.fromText(text))).toBe(text);
        expect(transform.toText(docOf(transform.toUpdate(json)))).toBe(text);
      });
    });
  }

  it('XFORM-1: Markdown already in the canonical form comes back unchanged', () => {
    // Inline, not in the corpus: the repository's formatter rewrites Markdown files (`*a*` → `_a_`).
    const canonical = [
      '## Decisions',
      '1. Ship **the API** behind a *flag*.\n2. Keep one schema:\n   - the server renders with it;\n   - the editor loads it.',
      'See [the tracker](https://example.com/issues/18 "Issue 18") and `GET /content`.',
      '> quoted\n>\n> twice',
      '```ts\nconst x = 1;\n```',
      '---',
      'Line one  \nline two, ~~struck~~.',
    ].join('\n\n');
    expect(transform.toMarkdown(transform.fromMarkdown(canonical))).toBe(canonical);
  });

  it('XFORM-1: characters Markdown would read as syntax survive as text', () => {
    const tutorial = corpus.find((c) => c.name === 'tutorial.md')?.markdown ?? '';
    const line = 'Special characters survive: 5 * 3 = 15, a_b_c, [not a link], <angle> & ampersand, back\\slash.';
    expect(transform.toText(transform.fromMarkdown(tutorial)).split('\n')).toContain(line);
    const again = transform.fromMarkdown(transform.toMarkdown(transform.fromMarkdown(tutorial)));
    expect(transform.toText(again).split('\n')).toContain(line);
  });

  it("XFORM-1: soft line breaks join with a space, hard breaks stay, and the schema's unknown Markdown (a task item) is fitted in", () => {
    const json = transform.fromMarkdown('one\ntwo\\\nthree\n\n- [x] done');
    expect(json).toEqual(
      docWith(
        {
          type: 'paragraph',
          content: [{ type: 'text', text: 'one two' }, { type: 'hardBreak' }, { type: 'text', text: 'three' }],
        },
        { type: 'bulletList', content: [{ type: 'listItem', content: [paragraph('done')] }] },
      ),
    );
    expect(transform.toText(json)).toBe('one two\nthree\ndone');
  });
});

describe('the HTML and text forms', () => {
  it('XFORM-2: renders the editor schema as the editor does', () => {
    const json = transform.fromMarkdown('# Title\n\nSee [docs](https://x.example) and **this**.');
    expect(transform.toHTML(json)).toBe(
      '<h1>Title</h1><p>See <a target="_blank" rel="noopener noreferrer nofollow" href="https://x.example">docs</a> and <strong>this</strong>.</p>',
    );
  });

  it('XFORM-2: parses HTML into the schema, dropping what it has no node for', () => {
    expect(transform.fromHTML('<h2>Hi</h2><script>alert(1)</script><p>a <u>b</u> <span>c</span></p>')).toEqual(
      docWith(
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Hi' }] },
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'a ' },
            { type: 'text', text: 'b', marks: [{ type: 'underline' }] },
            { type: 'text', text: ' c' },
          ],
        },
      ),
    );
  });

  it('XFORM-2: makes one paragraph per line of text, empty lines included', () => {
    expect(transform.fromText('a\r\n\nb')).toEqual(docWith(paragraph('a'), { type: 'paragraph' }, paragraph('b')));
  });

  it('XFORM-2: reads an empty field as a doc without content, which validates and renders as nothing', () => {
    const empty = new Y.Doc();
    const json = transform.toProseMirror(empty);
    expect(json).toEqual({ type: 'doc' });
    expect(transform.validate(json)).toEqual(json);
    expect([transform.toHTML(json), transform.toMarkdown(json), transform.toText(json)]).toEqual(['', '', '']);
  });
});

describe('validation', () => {
  const rejects = (json: unknown, message: RegExp) => {
    expect(() => transform.validate(json)).toThrow(TransformError);
    expect(() => transform.validate(json)).toThrow(message);
  };

  it('XFORM-3: names the problem for content the schema rejects', () => {
    rejects('hello', /ProseMirror JSON object/);
    rejects([], /ProseMirror JSON object/);
    rejects({ type: 'paragraph' }, /top node must be of type "doc", not "paragraph"/);
    rejects(docWith({ type: 'table' }), /Unknown node type: table/);
    rejects(docWith({ type: 'text', text: 'loose' }), /Invalid content for node doc/);
    rejects(docWith({ type: 'paragraph', content: [{ type: 'text', text: '' }] }), /Empty text nodes/);
    rejects(
      docWith({ type: 'paragraph', content: [{ type: 'text', text: 'x', marks: [{ type: 'comment' }] }] }),
      /comment/,
    );
    rejects(
      docWith({ type: 'codeBlock', content: [{ type: 'text', text: 'x', marks: [{ type: 'bold' }] }] }),
      /Invalid content for node codeBlock|bold/,
    );
  });

  it('XFORM-3: fills in default attributes', () => {
    expect(transform.validate(docWith({ type: 'heading', content: [{ type: 'text', text: 'x' }] }))).toEqual(
      docWith({ type: 'heading', attrs: { level: 1 }, content: [{ type: 'text', text: 'x' }] }),
    );
  });
});

describe('Yjs updates', () => {
  const base = () => docOf(transform.toUpdate(docWith(paragraph('one'), paragraph('two'), paragraph('three'))));

  it('XFORM-4: a replacement changes only what differs: an edit made concurrently elsewhere survives', () => {
    const server = base();
    const user = copy(server);
    typeInto(user, 2, ' (user)');
    const update = transform.toUpdate(docWith(paragraph('ONE'), paragraph('two'), paragraph('three')), server);
    Y.applyUpdate(user, update);
    Y.applyUpdate(server, Y.encodeStateAsUpdate(user));
    const expected = docWith(paragraph('ONE'), paragraph('two'), paragraph('three (user)'));
    expect(transform.toProseMirror(user)).toEqual(expected);
    expect(transform.toProseMirror(server)).toEqual(expected);
  });

  it('XFORM-4: a replacement equal to the content is an empty update', () => {
    const server = base();
    const before = Y.encodeStateVector(server);
    Y.applyUpdate(server, transform.toUpdate(transform.toProseMirror(server), server));
    expect(Y.encodeStateVector(server)).toEqual(before);
  });

  it('XFORM-4: an append goes after the last block and keeps a concurrent edit of it', () => {
    const server = base();
    const user = copy(server);
    typeInto(user, 2, '!');
    Y.applyUpdate(user, transform.appendUpdate(transform.fromMarkdown('## Added\n\nby a job'), server));
    expect(transform.toMarkdown(user)).toBe('one\n\ntwo\n\nthree!\n\n## Added\n\nby a job');
  });

  it('XFORM-4: an append at the start goes before the first block', () => {
    const server = base();
    Y.applyUpdate(server, transform.appendUpdate(docWith(paragraph('zero')), server, { at: 'start' }));
    expect(transform.toText(server)).toBe('zero\none\ntwo\nthree');
  });

  it('XFORM-4: an append to an empty field gives just the appended blocks', () => {
    const empty = new Y.Doc();
    Y.applyUpdate(empty, transform.appendUpdate(docWith(paragraph('first')), empty));
    expect(transform.toProseMirror(empty)).toEqual(docWith(paragraph('first')));
  });

  it('XFORM-4: refuses content the schema rejects before making an update', () => {
    expect(() => transform.toUpdate(docWith({ type: 'video' }))).toThrow(TransformError);
    expect(() => transform.appendUpdate(docWith({ type: 'video' }), base())).toThrow(/Unknown node type: video/);
  });

  it('XFORM-4: never changes the document it reads, even where the field holds nodes the schema lacks', () => {
    const doc = base();
    const alien = new Y.XmlElement('video');
    doc.getXmlFragment(DEFAULT_FIELD).insert(1, [alien]);
    const before = Y.encodeStateAsUpdate(doc);
    expect(transform.toText(doc)).toBe('one\ntwo\nthree');
    transform.toUpdate(docWith(paragraph('x')), doc);
    transform.appendUpdate(docWith(paragraph('x')), doc);
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  });
});

describe('a schema the caller passes', () => {
  const tables = createTransform({ extensions: [StarterKit, TableKit], field: 'body' });
  const markdown = '| Name | Role |\n| --- | --- |\n| Ana | **lead** |\n| Ben | review |';

  it('XFORM-5: round-trips tables through Markdown, HTML and Yjs in the field given', () => {
    const json = tables.fromMarkdown(markdown);
    expect(json.content?.[0]?.type).toBe('table');
    expect(tables.fromMarkdown(tables.toMarkdown(json))).toEqual(json);
    expect(tables.fromHTML(tables.toHTML(json))).toEqual(json);
    const doc = docOf(tables.toUpdate(json));
    expect(doc.getXmlFragment('body').length).toBe(1);
    expect(doc.getXmlFragment(DEFAULT_FIELD).length).toBe(0);
    expect(tables.toProseMirror(doc)).toEqual(json);
    expect(tables.toText(doc)).toBe('Name\nRole\nAna\nlead\nBen\nreview');
  });

  it('XFORM-5: the default schema refuses a table', () => {
    expect(() => transform.validate(tables.fromMarkdown(markdown))).toThrow(/Unknown node type: table/);
  });
});
