import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloseCode } from '@tandem/protocol';
import { freePort, type RunningProcess, startProcess, waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { connectStockClient, type StockClient } from './helpers/clients.js';

/** The example host application (examples/fastify-plugin), run as its README says. */
const EXAMPLE = fileURLToPath(new URL('../../../examples/fastify-plugin/server.js', import.meta.url));

async function startExample(dataDir: string): Promise<{ host: RunningProcess; port: number; url: string }> {
  const port = await freePort();
  const host = startProcess(process.execPath, [EXAMPLE], {
    env: { PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' },
  });
  try {
    await host.waitForLine(/host application listening/, 15_000);
  } catch (err) {
    await host.stop('SIGKILL');
    throw err;
  }
  return { host, port, url: `http://127.0.0.1:${port}` };
}

const getJson = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const postJson = async (url: string, body: unknown) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('the Fastify plugin example (examples/fastify-plugin)', () => {
  const hosts: RunningProcess[] = [];
  const clients: StockClient[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-plugin-example-'));

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    for (const host of hosts.splice(0)) await host.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('PLUGIN-1..3: serves its own routes and sync, reads, changes and watches documents in process, and closes with the host', async () => {
    const { host, port, url } = await startExample(dataDir);
    hosts.push(host);
    expect(await getJson(`${url}/hello`)).toEqual({ status: 200, body: { hello: 'from the host application' } });

    // A real y-websocket client syncs through the plugin's endpoint on the host's port.
    const client = connectStockClient(`ws://127.0.0.1:${port}/sync`, 'welcome');
    clients.push(client);
    const closes: number[] = [];
    client.provider.on('connection-close', (event: { code: number } | null) => closes.push(event?.code ?? 0));
    await waitFor(() => client.provider.synced, { what: 'client synced' });
    client.text.insert(0, 'typed by a client');

    // The host's subscription (a handle's onChange) sees the client's edit.
    await waitFor(
      async () => {
        const { body } = await getJson(`${url}/welcome/changes`);
        return (body.changes as number) >= 1 && body.text === 'typed by a client';
      },
      { what: "the host's subscription to see the client's edit" },
    );

    // A change made in process reaches the live client, and the reply came after its commit.
    expect(await postJson(`${url}/notes/welcome/append`, { text: ' + appended by the host' })).toEqual({
      status: 200,
      body: { appended: ' + appended by the host' },
    });
    await waitFor(() => client.text.toString() === 'typed by a client + appended by the host', {
      what: "the host's change on the client",
    });
    expect(await getJson(`${url}/notes/welcome`)).toEqual({
      status: 200,
      body: { id: 'welcome', text: 'typed by a client + appended by the host' },
    });
    expect((await postJson(`${url}/notes/welcome/append`, {})).status).toBe(422);

    // The host's close drains Tandem: the client is told the server restarts, and the process ends by itself.
    const exit = await host.stop('SIGTERM', 15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(host.lines.some((line) => line.includes('host application closed'))).toBe(true);
    expect(closes).toContain(CloseCode.serviceRestart);

    // What was written is in the store the plugin opened and closed.
    client.destroy();
    clients.splice(0);
    const again = await startExample(dataDir);
    hosts.push(again.host);
    expect((await getJson(`${again.url}/notes/welcome`)).body.text).toBe('typed by a client + appended by the host');
  });
});
