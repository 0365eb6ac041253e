import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TandemProvider } from '@tandem/client';
import { waitFor } from '@tandem/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectProvider } from './helpers/clients.js';
import { runCli, type ServerProcess, startCli, startServer } from './helpers/processes.js';

const sv = (doc: Y.Doc) => Buffer.from(Y.encodeStateVector(doc)).toString('base64');

function docFrom(bytes: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, bytes);
  return doc;
}

/** 3,000,000 s (about 35 days): in ms past 2^31-1, where a plain setTimeout fires at once. */
const PAST_THE_TIMER_LIMIT_S = '3000000';

describe('tandem inspect / export / import against a live server', () => {
  let dir = '';
  let server: ServerProcess;
  const providers: TandemProvider[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-cli-live-'));
    server = await startServer({ DATA_DIR: join(dir, 'data') });
  });
  afterEach(() => {
    for (const p of providers.splice(0)) p.destroy();
  });
  afterAll(async () => {
    await server?.process.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('inspect prints the decoded frames of a live room: sync, awareness and a live update', async () => {
    const editor = connectProvider(server.syncUrl, 'live');
    providers.push(editor);
    editor.awareness.setLocalStateField('user', { name: 'ada', color: '#f00' });
    editor.doc.getText('content').insert(0, 'hello');
    await editor.whenSynced();
    const run = startCli(['inspect', `${server.syncUrl}/live`, '--seconds', '15']);
    await waitFor(() => run.stdout().includes('<- awareness'), { what: 'the inspector to see presence' });
    editor.doc.getText('content').insert(5, ' world');
    await waitFor(() => run.stdout().includes('<- sync/update'), { what: 'the inspector to see the edit' });
    run.kill('SIGINT');
    const { code, stdout, stderr } = await run.result;
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('plain y-websocket');
    expect(stderr).toContain('# stopped: interrupted');
    const id = editor.doc.clientID;
    expect(stdout).toMatch(/-> sync\/step1 \(0\/0\) 4B state-vector 1B \{\}/);
    expect(stdout).toMatch(/-> query-awareness \(3\) 1B/);
    expect(stdout).toMatch(new RegExp(`<- sync/step2 \\(0/1\\) \\d+B update \\d+B structs 1 clients ${id}:0\\.\\.5`));
    expect(stdout).toMatch(
      new RegExp(`<- awareness \\(1\\) \\d+B update \\d+B clients ${id}@\\d+ \\{"user":\\{"name":"ada"`),
    );
    expect(stdout).toMatch(new RegExp(`<- sync/update \\(0/2\\) \\d+B update \\d+B structs 1 clients ${id}:5\\.\\.11`));

    const tandem = await runCli(['inspect', `${server.syncUrl}/live`, '--tandem', '--count', '1']);
    expect(tandem.code, tandem.stderr).toBe(0);
    expect(tandem.stderr).toContain('tandem.v1');
  });

  it('inspect --seconds 3000000 keeps watching (live edits shown) until interrupted', async () => {
    const editor = connectProvider(server.syncUrl, 'watched');
    providers.push(editor);
    editor.doc.getText('content').insert(0, 'hello');
    await editor.whenSynced();
    const run = startCli(['inspect', `${server.syncUrl}/watched`, '--seconds', PAST_THE_TIMER_LIMIT_S]);
    let exited = false;
    void run.result.then(() => {
      exited = true;
    });
    await waitFor(() => run.stdout().includes('<- sync/step2') || exited, { what: 'the document or an exit' });
    editor.doc.getText('content').insert(5, ' world');
    await waitFor(() => run.stdout().includes('<- sync/update') || exited, { what: 'the live edit or an exit' });
    expect(exited, (await Promise.race([run.result, Promise.resolve(null)]))?.stderr).toBe(false);
    run.kill('SIGINT');
    const { code, stderr } = await run.result;
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('# stopped: interrupted');
  });

  it('export --timeout 3000000 exports instead of timing out at once', async () => {
    const editor = connectProvider(server.syncUrl, 'exported');
    providers.push(editor);
    editor.doc.getText('content').insert(0, 'exported text');
    await editor.whenSynced();
    const exported = await runCli([
      'export',
      `${server.syncUrl}/exported`,
      '--format',
      'text',
      '--timeout',
      PAST_THE_TIMER_LIMIT_S,
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('exported text');
  });

  it('export and import round-trip a document, and an acked import survives kill -9', async () => {
    const source = new Y.Doc();
    source.getText('content').insert(0, 'round trip');
    source.getMap('meta').set('title', 'Plan');
    source.getArray('tags').push(['a', 'b']);
    const para = new Y.XmlElement('paragraph');
    para.insert(0, [new Y.XmlText('first paragraph')]);
    source.getXmlFragment('prose').push([para]);
    const file = join(dir, 'source.bin');
    writeFileSync(file, Y.encodeStateAsUpdate(source));

    const imported = await runCli(['import', `${server.syncUrl}/round-trip`, file]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain('acknowledged as durable');
    // Acked means stored: a crash right after the ack loses nothing.
    await server.process.stop('SIGKILL');
    server = await startServer({ DATA_DIR: join(dir, 'data') });

    const out = join(dir, 'exported.bin');
    const exported = await runCli(['export', `${server.syncUrl}/round-trip`, '--format', 'yjs', '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    const copy = docFrom(readFileSync(out));
    expect(sv(copy)).toBe(sv(source));
    expect(copy.getText('content').toString()).toBe('round trip');

    const json = await runCli(['export', `${server.syncUrl}/round-trip`, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual({
      content: 'round trip',
      meta: { title: 'Plan' },
      prose: '<paragraph>first paragraph</paragraph>',
      tags: ['a', 'b'],
    });
    const text = await runCli(['export', `${server.syncUrl}/round-trip`]);
    expect(text.stdout).toContain('# prose (Y.XmlFragment)\nfirst paragraph\n');
  });

  it('OPS-6/YJS-2/YJS-3: import refuses an update missing its history before sending it, and reports the refusal of a bomb', async () => {
    const doc = new Y.Doc();
    doc.getText('content').insert(0, 'base');
    const before = Y.encodeStateVector(doc);
    doc.getText('content').insert(4, ' continued');
    const continuation = join(dir, 'continuation.bin');
    writeFileSync(continuation, Y.encodeStateAsUpdate(doc, before));
    const orphan = await runCli(['import', `${server.syncUrl}/orphan`, continuation]);
    expect(orphan.code, orphan.stderr).toBe(1);
    expect(orphan.stderr).toContain('depends on history the document "orphan" does not have');
    const exported = await runCli(['export', `${server.syncUrl}/orphan`, '--format', 'json']);
    expect(JSON.parse(exported.stdout)).toEqual({});

    const bomb = join(dir, 'bomb.bin');
    writeFileSync(bomb, Uint8Array.of(1, 1, 42, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x04, 0));
    const refused = await runCli(['import', `${server.syncUrl}/orphan`, bomb]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('1008');
    expect(refused.stderr).toContain('absurd clock range for client 42');
  });

  it('replay --sqlite rebuilds a document from the snapshot and update log up to a position', async () => {
    const doc = new Y.Doc();
    const text = doc.getText('content');
    const files = ['one', ' two', ' three'].map((word, i) => {
      const before = Y.encodeStateVector(doc);
      text.insert(text.length, word);
      const path = join(dir, `part-${i + 1}.bin`);
      writeFileSync(path, Y.encodeStateAsUpdate(doc, before));
      return path;
    });
    // One import per part: each is one update frame, so one row of the log (positions 1, 2, 3).
    for (const path of files) {
      const result = await runCli(['import', `${server.syncUrl}/log`, path]);
      expect(result.code, result.stderr).toBe(0);
    }
    const sqlite = join(dir, 'data', 'tandem.sqlite');
    const upTo2 = await runCli(['replay', '--sqlite', sqlite, '--room', 'log', '--seq', '2', '--format', 'json']);
    expect(upTo2.code, upTo2.stderr).toBe(0);
    expect(JSON.parse(upTo2.stdout)).toEqual({ content: 'one two' });
    const all = await runCli(['replay', '--sqlite', sqlite, '--room', 'log', '--format', 'json']);
    expect(JSON.parse(all.stdout)).toEqual({ content: 'one two three' });
    const missing = await runCli(['replay', '--sqlite', sqlite, '--room', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no document "nope"');
  });

  it('usage errors exit 2 with a usage message; runtime failures exit 1 with the cause', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: tandem <command>');
    const unknown = await runCli(['replay', 'x.jsonl', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option --bogus');
    expect(unknown.stderr).toContain('usage: tandem replay');
    const badUrl = await runCli(['export', 'ws://127.0.0.1:1/elsewhere']);
    expect(badUrl.code).toBe(2);
    const refused = await runCli(['export', 'ws://127.0.0.1:1/sync/x']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cannot connect to ws://127.0.0.1:1/sync/x: ECONNREFUSED');
    const notYjs = join(dir, 'not-yjs.txt');
    writeFileSync(notYjs, 'hello');
    const rejected = await runCli(['import', `${server.syncUrl}/x`, notYjs]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('is not a Yjs update');
  });
});
