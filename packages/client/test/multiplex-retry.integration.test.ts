import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode } from '@tandem/protocol';
import { waitFor } from '@tandem/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type BackoffPolicy, TandemConnection } from '../src/index.js';
import type { Channel, ChannelCloseEvent } from '../src/types.js';
import { type ServerHandle, startServer } from './server.js';

/** A frame the server cannot decode: a sync message without its sub-type. */
const UNDECODABLE = Uint8Array.of(0);

/**
 * A document on a multiplexed connection that records each open (when the client sent it, when
 * the server first answered) and each close; `breakIt` makes the server close it with
 * close-doc 1007, a real, retryable failure of this one document.
 */
function recordingChannel(room: string) {
  const opens: { sentAt: number; answeredAt: number | null; send: (frame: Uint8Array) => void }[] = [];
  const closes: (ChannelCloseEvent & { at: number })[] = [];
  const channel: Channel = {
    room,
    token: undefined,
    awaitingSync: false,
    onOpen(send) {
      opens.push({ sentAt: Date.now(), answeredAt: null, send });
    },
    onFrame() {
      const open = opens.at(-1);
      if (open !== undefined && open.answeredAt === null) open.answeredAt = Date.now();
    },
    onClose(event) {
      closes.push({ ...event, at: Date.now() });
    },
  };
  const docFailures = () => closes.filter((c) => c.code === CloseCode.undecodable);
  return {
    channel,
    opens,
    closes,
    docFailures,
    /** Waits until open number `n` (1-based) has been answered by the server. */
    async answered(n: number): Promise<number> {
      const open = await waitFor(() => (opens[n - 1]?.answeredAt != null ? opens[n - 1] : undefined), {
        what: `open #${n} answered by the server`,
      });
      return open.answeredAt as number;
    },
    /** Makes the server close this document (close-doc 1007) and waits for that close. */
    async breakIt(): Promise<ChannelCloseEvent & { at: number }> {
      const before = docFailures().length;
      opens.at(-1)?.send(UNDECODABLE);
      return waitFor(() => docFailures()[before], { what: 'close-doc 1007' });
    },
  };
}

describe('multiplexed documents: per-document retry count (real server process)', () => {
  const dirs: string[] = [];
  const servers: ServerHandle[] = [];
  const connections: TandemConnection[] = [];

  afterEach(async () => {
    for (const c of connections.splice(0)) c.destroy();
    for (const s of servers.splice(0)) await s.process.stop('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const server = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-client-'));
    dirs.push(dir);
    const s = await startServer(dir);
    servers.push(s);
    return s;
  };
  const connect = (url: string, backoff: Partial<BackoffPolicy>, channel: Channel) => {
    // random ≈ 1: every delay is the full ceiling min(cap, base·2^attempt), so it shows the attempt.
    const c = new TandemConnection({ url, multiplexed: true, WebSocket, backoff, random: () => 0.999 });
    connections.push(c);
    c.attach(channel);
    c.connect();
    return c;
  };

  it('CLIENT-12: a document that recovers and stays open stableAfterMs starts its backoff from the base again; with maxAttempts 3 it retries a 6th failure', async () => {
    const s = await server();
    const stableAfterMs = 300;
    const doc = recordingChannel('flaky');
    connect(s.url, { baseMs: 100, capMs: 60_000, maxAttempts: 3, stableAfterMs }, doc.channel);
    const delays: number[] = [];
    for (let failure = 1; failure <= 6; failure++) {
      const answeredAt = await doc.answered(failure);
      // The rule is about elapsed time: the document must have been open (answered) stableAfterMs.
      await waitFor(() => Date.now() - answeredAt >= stableAfterMs + 100, { what: 'a stable period' });
      const closed = await doc.breakIt();
      expect(closed, `failure #${failure}`).toMatchObject({ code: CloseCode.undecodable, retrying: true });
      const reopened = await waitFor(() => doc.opens[failure], { what: `reopen after failure #${failure}` });
      delays.push(reopened.sentAt - closed.at);
    }
    await doc.answered(7);
    // Always the first step (~100 ms), never 100·2^k (a 5th consecutive attempt would wait 1.6 s).
    expect(Math.max(...delays), `reopen delays ${delays.join(', ')} ms`).toBeLessThan(750);
  });

  it('CLIENT-12: a reconnect of the whole connection resets every document’s retry count', async () => {
    const s = await server();
    const doc = recordingChannel('flaky');
    const c = connect(
      s.url,
      // No stable period within the test: only the reconnect can reset the count.
      { baseMs: 100, capMs: 60_000, stableAfterMs: 60_000, restartMinMs: 20, restartSpreadMs: 50 },
      doc.channel,
    );
    const reopenDelay = async () => {
      await doc.answered(Math.max(1, doc.opens.length));
      const opened = doc.opens.length;
      const closed = await doc.breakIt();
      expect(closed).toMatchObject({ code: CloseCode.undecodable, retrying: true });
      const reopened = await waitFor(() => doc.opens[opened], { what: `reopen #${opened + 1}` });
      return reopened.sentAt - closed.at;
    };
    const before: number[] = [];
    for (let i = 0; i < 4; i++) before.push(await reopenDelay());
    // Consecutive failures back off: the 4th waited base·2^3 = 800 ms.
    expect(before.at(-1), `reopen delays ${before.join(', ')} ms`).toBeGreaterThanOrEqual(700);
    await s.process.stop('SIGTERM');
    await waitFor(() => c.status !== 'connected', { what: 'the connection closed by the restart' });
    await s.restart();
    await waitFor(() => c.status === 'connected', { what: 'reconnected', timeoutMs: 10_000 });
    // Not 100·2^4 = 1.6 s: the reconnect started the document's count from 0.
    const after = await reopenDelay();
    expect(after).toBeLessThan(750);
    await doc.answered(Math.max(1, doc.opens.length));
  });

  it('CLIENT-12: consecutive failures without a stable period still count: maxAttempts 2 gives up on the 3rd', async () => {
    const s = await server();
    const doc = recordingChannel('flaky');
    connect(s.url, { baseMs: 20, capMs: 100, maxAttempts: 2, stableAfterMs: 60_000 }, doc.channel);
    await doc.answered(1);
    expect(await doc.breakIt()).toMatchObject({ retrying: true });
    await doc.answered(2);
    expect(await doc.breakIt()).toMatchObject({ retrying: true });
    await doc.answered(3);
    expect(await doc.breakIt()).toMatchObject({ code: CloseCode.undecodable, retrying: false });
  });
});
