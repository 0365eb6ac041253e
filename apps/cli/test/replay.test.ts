import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TandemProvider } from '@tandem/client';
import { createRng, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectProvider } from './helpers/clients.js';
import { runCli, type ServerProcess, startServer } from './helpers/processes.js';
import { type RecordingProxy, startRecordingProxy } from './helpers/recording-proxy.js';

/** A document's comparable state: its state vector and its content as JSON. */
function stateOf(update: Uint8Array) {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  const state = {
    sv: Buffer.from(Y.encodeStateVector(doc)).toString('base64'),
    text: doc.getText('content').toString(),
    map: doc.getMap('meta').toJSON(),
    xml: doc.getXmlFragment('prose').toString(),
  };
  doc.destroy();
  return state;
}

describe('tandem replay', () => {
  let dir = '';
  let server: ServerProcess | undefined;
  let proxy: RecordingProxy | undefined;
  const providers: TandemProvider[] = [];

  afterEach(async () => {
    for (const p of providers.splice(0)) p.destroy();
    await proxy?.close();
    await server?.process.stop('SIGTERM');
    proxy = undefined;
    server = undefined;
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('replays a recorded session to the document the server holds (state vector, content and bytes)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-cli-replay-'));
    const recording = join(dir, 'session.jsonl');
    server = await startServer({ DATA_DIR: join(dir, 'data') });
    proxy = await startRecordingProxy(server.port, recording);
    const a = connectProvider(proxy.syncUrl, 'notes');
    const b = connectProvider(proxy.syncUrl, 'notes');
    providers.push(a, b);
    a.awareness.setLocalStateField('user', { name: 'a' });
    await waitFor(() => a.synced && b.synced, { what: 'both clients synced' });

    const rng = createRng(7);
    const edit = (p: TandemProvider, round: number) => {
      const text = p.doc.getText('content');
      if (text.length > 4 && rng.next() < 0.3) text.delete(rng.int(0, text.length - 2), 2);
      else text.insert(rng.int(0, text.length), `${round}${p === a ? 'a' : 'b'} `);
      if (rng.next() < 0.4) p.doc.getMap('meta').set(`k${rng.int(0, 3)}`, round);
      if (rng.next() < 0.3) {
        const para = new Y.XmlElement('paragraph');
        para.insert(0, [new Y.XmlText(`p${round}`)]);
        p.doc.getXmlFragment('prose').push([para]);
      }
    };
    // Bounded: two phases of 20 rounds, both clients editing concurrently, a turn between rounds.
    for (let round = 0; round < 20; round++) {
      edit(a, round);
      edit(b, round);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([a.whenSynced(), b.whenSynced()]);
    await waitFor(() => Y.encodeStateVector(a.doc).toString() === Y.encodeStateVector(b.doc).toString(), {
      what: 'the clients converged after phase 1',
    });
    const midState = stateOf(Y.encodeStateAsUpdate(a.doc));
    // Recorded timestamps are Date.now() at arrival; the next frame is strictly later than `mid`.
    const mid = Date.now();
    await waitFor(() => Date.now() > mid, { what: 'the clock to move on' });
    for (let round = 20; round < 40; round++) {
      edit(a, round);
      edit(b, round);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([a.whenSynced(), b.whenSynced()]);
    for (const p of providers.splice(0)) p.destroy();
    expect(proxy.recorded()).toBeGreaterThan(40);

    const serverFile = join(dir, 'server.bin');
    const exported = await runCli(['export', `${server.syncUrl}/notes`, '--format', 'yjs', '--out', serverFile]);
    expect(exported.code, exported.stderr).toBe(0);
    const replayFile = join(dir, 'replay.bin');
    const replayed = await runCli(['replay', recording, '--out', replayFile]);
    expect(replayed.code, replayed.stderr).toBe(0);
    const serverBytes = readFileSync(serverFile);
    const replayBytes = readFileSync(replayFile);
    expect(stateOf(replayBytes)).toEqual(stateOf(serverBytes));
    expect(replayBytes.equals(serverBytes)).toBe(true);

    const partialFile = join(dir, 'partial.bin');
    const partial = await runCli(['replay', recording, '--until', new Date(mid).toISOString(), '--out', partialFile]);
    expect(partial.code, partial.stderr).toBe(0);
    expect(stateOf(readFileSync(partialFile))).toEqual(midState);

    const text = await runCli(['replay', recording]);
    expect(text.stdout).toContain('# content (Y.Text)');
    expect(text.stdout).toContain(stateOf(serverBytes).text);

    const listed = await runCli(['inspect', '--recording', recording, '--count', '12']);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toMatch(/room="notes" session=[0-9a-f-]{36} -> sync\/step1 \(0\/0\)/);
    expect(listed.stdout).toMatch(
      /-> sync\/(update|step2) \(0\/[12]\) \d+B update \d+B structs \d+ clients \d+:\d+\.\.\d+/,
    );
  });
});
