import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TandemProvider } from '@tandem/client';
import { freePort, nowSeconds, signHs256Token, waitFor } from '@tandem/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectProvider } from './helpers/clients.js';
import { runCli, type ServerProcess, startServer } from './helpers/processes.js';

const SECRET = 'cli-versions-secret-0123456789';
const ADMIN = 'cli-admin-token-0123456789';

const token = (sub: string, permission: 'write' | 'read') =>
  signHs256Token(SECRET, {
    sub,
    name: sub,
    docs: { '*': permission },
    aud: 'tandem',
    iat: nowSeconds(),
    exp: nowSeconds() + 3600,
  });

describe('tandem versions against a live server (VER-14)', () => {
  let dir = '';
  let server: ServerProcess;
  const providers: TandemProvider[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-cli-versions-'));
    server = await startServer({ DATA_DIR: join(dir, 'data'), AUTH_SECRET: SECRET, ADMIN_TOKEN: ADMIN });
  });
  afterEach(() => {
    for (const p of providers.splice(0)) p.destroy();
  });
  afterAll(async () => {
    await server?.process.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('VER-14: list, show, diff and restore a version; a reader is refused with the server message and exit 1', async () => {
    const writer = await token('ada', 'write');
    const editor = connectProvider(server.syncUrl, 'memo', { token: writer });
    providers.push(editor);
    const text = editor.doc.getText('content');
    text.insert(0, 'first draft');
    await editor.whenSynced();
    const named = await fetch(`${server.httpUrl}/api/documents/memo/versions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ label: 'Draft' }),
    });
    const { id } = (await named.json()) as { id: string };
    text.insert(text.length, ' and a second');

    const list = await runCli(['versions', 'list', server.httpUrl, 'memo', '--token', ADMIN]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^${id}\\t\\d{4}-\\d\\d-\\d\\dT[^\\t]+\\tnamed\\t\\d+B "Draft"\\tby ada \\(ada\\)\\n$`),
    );
    expect(list.stderr).toContain('# 1 versions');

    const show = await runCli(['versions', 'show', server.httpUrl, 'memo', id, '--token', writer]);
    expect(show).toMatchObject({ code: 0, stdout: 'first draft\n' });
    const file = join(dir, 'v.yjs');
    const raw = await runCli([
      'versions',
      'show',
      server.httpUrl,
      'memo',
      id,
      '--format',
      'yjs',
      '--out',
      file,
      '--token',
      writer,
    ]);
    expect(raw.code, raw.stderr).toBe(0);
    const rebuilt = new Y.Doc();
    Y.applyUpdate(rebuilt, new Uint8Array(readFileSync(file)));
    expect(rebuilt.getText('content').toString()).toBe('first draft');

    await waitFor(
      async () =>
        (await runCli(['versions', 'diff', server.httpUrl, 'memo', id, '--token', writer])).stdout.includes('{+'),
      {
        what: 'the second edit reached the server',
      },
    );
    const diff = await runCli(['versions', 'diff', server.httpUrl, 'memo', id, '--token', writer]);
    expect(diff).toMatchObject({ code: 0, stdout: 'first draft{+ and a second+}\n' });

    const reader = await token('rita', 'read');
    const refused = await runCli(['versions', 'restore', server.httpUrl, 'memo', id, '--token', reader]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^tandem versions: 403 read-only access to document "memo"/);

    const restored = await runCli(['versions', 'restore', server.httpUrl, 'memo', id, '--token', writer]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(
      new RegExp(`^restored version ${id} \\(.+\\); the content before is version \\d+\\n$`),
    );
    await waitFor(() => text.toString() === 'first draft', { what: 'the live editor to receive the restore' });
  }, 60_000);

  it('VER-14/VER-9: diff --to <version> prints the changes from one version to another, not to the current document', async () => {
    const writer = await token('ada', 'write');
    const editor = connectProvider(server.syncUrl, 'meeting', { token: writer });
    providers.push(editor);
    const text = editor.doc.getText('content');
    /** A named version of what the server holds once the editor's changes are acked. */
    const nameVersion = async (label: string) => {
      await editor.whenSynced();
      const named = await fetch(`${server.httpUrl}/api/documents/meeting/versions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ label }),
      });
      expect(named.status).toBe(201);
      return ((await named.json()) as { id: string }).id;
    };
    text.insert(0, 'Meet at noon by the old mill.');
    const draft = await nameVersion('draft');
    text.delete('Meet at '.length, 'noon'.length);
    text.insert('Meet at '.length, 'dusk');
    text.delete('Meet at dusk by the '.length, 'old '.length);
    text.insert(text.length, ' Bring a lamp.');
    const final = await nameVersion('final');
    text.insert(0, 'Saturday: ');
    await editor.whenSynced();

    const diff = await runCli(['versions', 'diff', server.httpUrl, 'meeting', draft, '--to', final, '--token', writer]);
    expect(diff, diff.stderr).toMatchObject({
      code: 0,
      stdout: 'Meet at [-noon-]{+dusk+} by the [-old -]mill.{+ Bring a lamp.+}\n',
      stderr: `# version ${draft} → ${final}: 18 characters inserted, 8 deleted\n`,
    });
    const back = await runCli(['versions', 'diff', server.httpUrl, 'meeting', final, '--to', draft, '--token', writer]);
    expect(back).toMatchObject({
      code: 0,
      stdout: 'Meet at [-dusk-]{+noon+} by the {+old +}mill.[- Bring a lamp.-]\n',
    });
    const unknown = await runCli([
      'versions',
      'diff',
      server.httpUrl,
      'meeting',
      draft,
      '--to',
      '999999',
      '--token',
      writer,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('404 document "meeting" has no version "999999" (to)');
  }, 60_000);

  it('VER-14: usage errors exit 2; unknown versions and a server that is not there exit 1 with the reason', async () => {
    const usage = await runCli(['versions', 'frobnicate', server.httpUrl, 'memo']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown action "frobnicate"');
    expect((await runCli(['versions', 'show', 'not a url', 'memo', '1'])).code).toBe(2);
    const missing = await runCli(['versions', 'show', server.httpUrl, 'memo', '999999', '--token', ADMIN]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404 document "memo" has no version 999999');
    const gone = await runCli(['versions', 'list', `http://127.0.0.1:${await freePort()}`, 'memo', '--timeout', '5']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('ECONNREFUSED');
  });
});
