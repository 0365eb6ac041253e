import { CloseCode, decodeFrame, encode } from '@tandem/protocol';
import { createRng } from '@tandem/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TandemConnection } from './connection.js';
import { type FakeSocketLog, fakeSocketClass } from './fake-socket.fixture.js';
import type { Channel, ChannelCloseEvent } from './types.js';

function channel(room: string, awaitingSync = false): Channel & { closes: ChannelCloseEvent[]; opens: number } {
  return {
    room,
    token: undefined,
    awaitingSync,
    closes: [],
    opens: 0,
    onOpen() {
      this.opens++;
    },
    onFrame() {},
    onClose(event) {
      this.closes.push(event);
    },
  };
}

describe('TandemConnection reconnection', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('CLIENT-1: after a 1012 close, 1,000 clients reconnect spread out: no 500 ms window holds more than 10%', async () => {
    const log: FakeSocketLog = { sockets: [] };
    const rng = createRng(2026);
    const connections = Array.from(
      { length: 1000 },
      () =>
        new TandemConnection({
          url: 'ws://127.0.0.1:1/sync/doc',
          multiplexed: false,
          WebSocket: fakeSocketClass(log),
          random: () => rng.next(),
        }),
    );
    for (const c of connections) c.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(log.sockets).toHaveLength(1000);
    for (const socket of log.sockets) socket.open();
    const restartAt = Date.now();
    for (const socket of [...log.sockets]) socket.closeFromServer(CloseCode.serviceRestart, 'server restarting');
    await vi.advanceTimersByTimeAsync(20_000);
    const retries = log.sockets.slice(1000).map((s) => s.createdAt - restartAt);
    expect(retries).toHaveLength(1000);
    retries.sort((a, b) => a - b);
    let worst = 0;
    for (let i = 0, j = 0; i < retries.length; i++) {
      while ((retries[i] as number) - (retries[j] as number) >= 500) j++;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst).toBeLessThanOrEqual(100);
    // The spread covers at least 10 s.
    expect((retries.at(-1) as number) - (retries[0] as number)).toBeGreaterThanOrEqual(10_000);
    for (const c of connections) c.destroy();
  });

  it('CLIENT-1: a lone network blip reconnects within about a second', async () => {
    const log: FakeSocketLog = { sockets: [] };
    const c = new TandemConnection({ url: 'ws://x/sync/d', multiplexed: false, WebSocket: fakeSocketClass(log) });
    c.connect();
    await vi.advanceTimersByTimeAsync(0);
    log.sockets[0]?.open();
    log.sockets[0]?.closeFromServer(1006);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(log.sockets).toHaveLength(2);
    c.destroy();
  });

  it('CLIENT-1: delays grow exponentially up to the cap, and reset after a stable connection', async () => {
    const log: FakeSocketLog = { sockets: [] };
    const c = new TandemConnection({
      url: 'ws://x/sync/d',
      multiplexed: false,
      WebSocket: fakeSocketClass(log),
      random: () => 0.999,
      backoff: { baseMs: 100, capMs: 1_000, stableAfterMs: 5_000 },
    });
    c.connect();
    await vi.advanceTimersByTimeAsync(0);
    const gaps: number[] = [];
    for (let i = 0; i < 6; i++) {
      const socket = log.sockets.at(-1);
      socket?.closeFromServer(1006);
      const before = Date.now();
      await vi.advanceTimersByTimeAsync(1_100);
      gaps.push((log.sockets.at(-1)?.createdAt ?? 0) - before);
    }
    expect(gaps.map((g) => Math.round(g / 100) * 100)).toEqual([100, 200, 400, 800, 1000, 1000]);
    log.sockets.at(-1)?.open();
    await vi.advanceTimersByTimeAsync(5_000);
    log.sockets.at(-1)?.closeFromServer(1006);
    const before = Date.now();
    await vi.advanceTimersByTimeAsync(200);
    expect((log.sockets.at(-1)?.createdAt ?? 0) - before).toBeLessThanOrEqual(100);
    c.destroy();
  });

  it('CLIENT-2: 4403 and 4400 stop retrying and say why; maxAttempts gives up', async () => {
    for (const code of [CloseCode.forbidden, CloseCode.unsupportedProtocolVersion]) {
      const log: FakeSocketLog = { sockets: [] };
      const c = new TandemConnection({ url: 'ws://x/sync/d', multiplexed: false, WebSocket: fakeSocketClass(log) });
      const statuses: string[] = [];
      c.on('status', (e) => statuses.push(`${e.status}${e.reason === undefined ? '' : `:${e.reason}`}`));
      c.connect();
      await vi.advanceTimersByTimeAsync(0);
      log.sockets[0]?.closeFromServer(code, 'no');
      await vi.advanceTimersByTimeAsync(60_000);
      expect(log.sockets).toHaveLength(1);
      expect(c.status).toBe('failed');
      expect(statuses.at(-1)).toMatch(/^failed:/);
      c.destroy();
    }
    const log: FakeSocketLog = { sockets: [] };
    const limited = new TandemConnection({
      url: 'ws://x/sync/d',
      multiplexed: false,
      WebSocket: fakeSocketClass(log),
      backoff: { maxAttempts: 3, baseMs: 10, capMs: 10 },
    });
    limited.connect();
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(20);
      log.sockets.at(-1)?.closeFromServer(1006);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect(log.sockets).toHaveLength(4);
    expect(limited.status).toBe('failed');
    limited.destroy();
  });
});

describe('TandemConnection liveness', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 5_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('CLIENT-3: pings after silence and replaces a half-open socket within ping interval + pong timeout', async () => {
    const log: FakeSocketLog = { sockets: [] };
    const c = new TandemConnection({
      url: 'ws://x/sync/d',
      multiplexed: false,
      WebSocket: fakeSocketClass(log),
      liveness: { pingIntervalMs: 1_000, pongTimeoutMs: 500 },
      random: () => 0,
    });
    c.attach(channel('d'));
    c.connect();
    await vi.advanceTimersByTimeAsync(0);
    const socket = log.sockets[0];
    socket?.open();
    await vi.advanceTimersByTimeAsync(1_250);
    const pings = (socket?.sent ?? []).map((b) => decodeFrame(b)).filter((d) => d.ok && d.frame.type === 'ping');
    expect(pings.length).toBeGreaterThanOrEqual(1);
    expect(c.status).toBe('connected');
    await vi.advanceTimersByTimeAsync(600);
    expect(socket?.closedByClient).not.toBeNull();
    expect(log.sockets.length).toBe(2);
    c.destroy();
  });

  it('CLIENT-3: a pong keeps the connection; a long first sync does not count as dead', async () => {
    const log: FakeSocketLog = { sockets: [] };
    const syncing = channel('d', true);
    const c = new TandemConnection({
      url: 'ws://x/sync/d',
      multiplexed: false,
      WebSocket: fakeSocketClass(log),
      liveness: { pingIntervalMs: 1_000, pongTimeoutMs: 500, syncTimeoutMs: 60_000 },
    });
    c.attach(syncing);
    c.connect();
    await vi.advanceTimersByTimeAsync(0);
    log.sockets[0]?.open();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(c.status).toBe('connected');
    expect(log.sockets).toHaveLength(1);
    c.destroy();

    const log2: FakeSocketLog = { sockets: [] };
    const answered = new TandemConnection({
      url: 'ws://x/sync/d',
      multiplexed: false,
      WebSocket: fakeSocketClass(log2),
      liveness: { pingIntervalMs: 1_000, pongTimeoutMs: 500 },
    });
    answered.attach(channel('d'));
    answered.connect();
    await vi.advanceTimersByTimeAsync(0);
    const socket = log2.sockets[0];
    socket?.open();
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(250);
      for (const bytes of socket?.sent.splice(0) ?? []) {
        const d = decodeFrame(bytes);
        if (d.ok && d.frame.type === 'ping') socket?.receive(encode.pong(d.frame.id));
      }
    }
    expect(answered.status).toBe('connected');
    expect(log2.sockets).toHaveLength(1);
    answered.destroy();
  });
});
