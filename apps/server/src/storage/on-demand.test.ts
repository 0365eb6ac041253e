import { waitFor } from '@tandem/test-utils';
import { describe, expect, it } from 'vitest';
import { onDemand } from './on-demand.js';

/** A resource that counts its starts and stops, and can be made to die or to fail its start. */
function counted(idleMs: number) {
  const events: string[] = [];
  let next = 0;
  let failNextStart: Error | null = null;
  const resources: { n: number; dead: boolean }[] = [];
  const handle = onDemand<{ n: number; dead: boolean }>({
    async start() {
      if (failNextStart !== null) {
        const err = failNextStart;
        failNextStart = null;
        throw err;
      }
      const resource = { n: next++, dead: false };
      resources.push(resource);
      events.push(`start ${resource.n}`);
      return resource;
    },
    async stop(resource) {
      events.push(`stop ${resource.n}`);
    },
    alive: (resource) => !resource.dead,
    idleMs,
    closedError: () => new Error('closed'),
  });
  return {
    handle,
    events,
    resources,
    failStart(err: Error) {
      failNextStart = err;
    },
  };
}

describe('onDemand', () => {
  it('starts on the first use, stops once idle, starts again on the next use', async () => {
    const { handle, events } = counted(20);
    expect(handle.running).toBe(false);
    expect(await handle.use(async (r) => r.n)).toBe(0);
    expect(handle.running).toBe(true);
    await waitFor(() => events.includes('stop 0'), { what: 'the idle stop' });
    expect(handle.running).toBe(false);
    expect(await handle.use(async (r) => r.n)).toBe(1);
    expect(events).toEqual(['start 0', 'stop 0', 'start 1']);
    await handle.close();
    expect(events.at(-1)).toBe('stop 1');
  });

  it('keeps the resource while a use is in flight when its idle timer fires', async () => {
    const { handle, events } = counted(5);
    // A use ends (the idle timer is armed), then a long one starts before the timer fires.
    await handle.use(async () => undefined);
    let finish = () => {};
    const long = handle.use((r) => new Promise<number>((resolve) => (finish = () => resolve(r.n))));
    // A second handle with the same idle delay, armed later: once it has stopped, the first's timer has fired.
    const reference = counted(5);
    await reference.handle.use(async () => undefined);
    await waitFor(() => reference.events.includes('stop 0'), { what: 'the reference idle stop' });
    expect(events).toEqual(['start 0']);
    expect(handle.running).toBe(true);
    finish();
    expect(await long).toBe(0);
    await waitFor(() => events.includes('stop 0'), { what: 'the idle stop after the long use' });
    await Promise.all([handle.close(), reference.handle.close()]);
  });

  it('uses made while it stops wait for the stop and are handed the next resource in order', async () => {
    const { handle, events } = counted(1);
    await handle.use(async () => undefined);
    await waitFor(() => !handle.running, { intervalMs: 1, what: 'the stop under way' });
    const order: number[] = [];
    await Promise.all([0, 1, 2].map((k) => handle.use(async (r) => order.push(k * 10 + r.n))));
    expect(order).toEqual([1, 11, 21]);
    expect(events.slice(0, 3)).toEqual(['start 0', 'stop 0', 'start 1']);
    await handle.close();
  });

  it('replaces a resource that died, and tries a failed start again on the next use', async () => {
    const { handle, resources } = counted(60_000);
    await handle.use(async () => undefined);
    (resources[0] as { dead: boolean }).dead = true;
    expect(await handle.use(async (r) => r.n)).toBe(1);
    await handle.close();

    const second = counted(60_000);
    second.failStart(new Error('cannot open'));
    await expect(second.handle.use(async () => undefined)).rejects.toThrow('cannot open');
    expect(second.handle.running).toBe(false);
    expect(await second.handle.use(async (r) => r.n)).toBe(0);
    await second.handle.close();
  });

  it('after close, uses reject and nothing starts', async () => {
    const { handle, events } = counted(60_000);
    await handle.use(async () => undefined);
    await handle.close();
    await expect(handle.use(async () => undefined)).rejects.toThrow('closed');
    expect(events).toEqual(['start 0', 'stop 0']);
  });
});
