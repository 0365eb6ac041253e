import { CloseCode, decodeFrame, encode, MAX_TIMER_DELAY_MS } from '@tandem/protocol';
import { createRng } from '@tandem/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ConnectionOptions, TandemConnection } from './connection.js';
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

/** A connection over fake sockets recorded in `log`: one document unless `options` say otherwise. */
function fakeConnection(log: FakeSocketLog, options: Partial<ConnectionOptions> = {}): TandemConnection {
  return new TandemConnection({
    url: 'ws://x/sync/d',
    multiplexed: false,
    WebSocket: fakeSocketClass(log),
    ...options,
  });
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

describe('TandemConnection: delays past the 32-bit timer limit (2^31-1 ms)', () => {
  const DAY_MS = 86_400_000;
  beforeEach(() => {
    vi.useFakeTimers({ now: 3_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Records the delay of every setTimeout / setInterval call (the fake ones) until restored. */
  function recordTimerDelays() {
    const delays: number[] = [];
    const { setTimeout: timeout, setInterval: interval } = globalThis;
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return timeout(fn, ms);
    }) as typeof setTimeout;
    globalThis.setInterval = ((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return interval(fn, ms);
    }) as typeof setInterval;
    return {
      delays,
      restore() {
        globalThis.setTimeout = timeout;
        globalThis.setInterval = interval;
      },
    };
  }

  it('CLIENT-1: a 40-day backoff waits 40 days, for the connection and for a multiplexed document', async () => {
    const log: FakeSocketLog = { sockets: [] };
    const c = fakeConnection(log, {
      url: 'ws://x/sync',
      multiplexed: true,
      random: () => 0.999,
      backoff: { baseMs: 40 * DAY_MS, capMs: 400 * DAY_MS },
      // The fake server answers no pings: keep liveness out of the way for the 40 days.
      liveness: { pingIntervalMs: 1_000 * DAY_MS, pongTimeoutMs: 1_000 * DAY_MS },
    });
    const doc = channel('d');
    c.attach(doc);
    c.connect();
    await vi.advanceTimersByTimeAsync(0);
    log.sockets[0]?.open();
    await vi.advanceTimersByTimeAsync(0);
    log.sockets[0]?.receive(encode.closeDoc('d', CloseCode.internalError, 'load failed'));
    expect(doc.closes.at(-1)).toMatchObject({ retrying: true });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(doc.opens).toBe(1);
    await vi.advanceTimersByTimeAsync(39 * DAY_MS);
    expect(doc.opens).toBe(1);
    await vi.advanceTimersByTimeAsync(DAY_MS);
    expect(doc.opens).toBe(2);

    log.sockets[0]?.closeFromServer(1006);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(log.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(40 * DAY_MS);
    expect(log.sockets).toHaveLength(2);
    c.destroy();
  });

  it('CLIENT-1: a 400-day stableAfterMs does not reset the attempt count after 1 ms', async () => {
    const log: FakeSocketLog = { sockets: [] };
    const c = fakeConnection(log, {
      random: () => 0.999,
      backoff: { baseMs: 100, capMs: 100_000, stableAfterMs: 400 * DAY_MS },
    });
    c.connect();
    await vi.advanceTimersByTimeAsync(0);
    log.sockets[0]?.closeFromServer(1006);
    await vi.advanceTimersByTimeAsync(150);
    log.sockets[1]?.open();
    await vi.advanceTimersByTimeAsync(1_000);
    log.sockets[1]?.closeFromServer(1006);
    const closedAt = Date.now();
    await vi.advanceTimersByTimeAsync(250);
    // The second consecutive failure waits base·2 (200 ms), not the base again.
    expect((log.sockets[2]?.createdAt ?? 0) - closedAt).toBeGreaterThan(150);
    c.destroy();
  });

  it('CLIENT-3: liveness and backoff options past the limit never hand a timer an overflowing delay', async () => {
    const timers = recordTimerDelays();
    try {
      const log: FakeSocketLog = { sockets: [] };
      const c = fakeConnection(log, {
        liveness: { pingIntervalMs: 100 * DAY_MS, pongTimeoutMs: 100 * DAY_MS },
        backoff: { baseMs: 100 * DAY_MS, capMs: 1_000 * DAY_MS, stableAfterMs: 100 * DAY_MS },
      });
      c.attach(channel('d'));
      c.connect();
      await vi.advanceTimersByTimeAsync(0);
      log.sockets[0]?.open();
      await vi.advanceTimersByTimeAsync(1_000);
      log.sockets[0]?.closeFromServer(1006);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(log.sockets).toHaveLength(1);
      c.destroy();
    } finally {
      timers.restore();
    }
    expect(timers.delays.length).toBeGreaterThan(0);
    expect(Math.max(...timers.delays)).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
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
