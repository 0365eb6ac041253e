import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TandemProvider } from '@tandem/client';
import { waitFor } from '@tandem/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectProvider } from './helpers/clients.js';
import { runCli, type ServerProcess, startCli, startServer } from './helpers/processes.js';

/** 3,000,000 s (about 35 days): in ms past 2^31-1, where a plain setTimeout fires at once. */
const PAST_THE_TIMER_LIMIT_S = '3000000';

describe('tandem --seconds / --timeout past the 32-bit timer limit', () => {
  let dir = '';
  let server: ServerProcess;
  const providers: TandemProvider[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-cli-long-'));
    server = await startServer({ DATA_DIR: join(dir, 'data') });
  });
  afterEach(() => {
    for (const p of providers.splice(0)) p.destroy();
  });
  afterAll(async () => {
    await server?.process.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
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
});
