import { existsSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';

/** How a worker thread answers one request (id 0 is the outcome of the thread's start, where it has one). */
export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value?: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

/**
 * The script of one of the server's worker threads, `file` beside the module at `moduleUrl`. Built
 * code finds it there; tests that run the TypeScript sources use the built copy (`npm test`
 * builds first), since a worker thread cannot load .ts.
 */
export function workerScript(moduleUrl: string, file: string): URL {
  const beside = new URL(`./${file}`, moduleUrl);
  if (!moduleUrl.endsWith('.ts')) return beside;
  const built = new URL(`../../dist/storage/${file}`, moduleUrl);
  if (!existsSync(fileURLToPath(built))) {
    throw new Error(
      `${fileURLToPath(built)} is missing: build @tandem/server first (pnpm --filter @tandem/server build)`,
    );
  }
  return built;
}

/**
 * Lowers the calling thread's scheduling priority to `niceness` (Linux: a thread is addressed by
 * its id, read from /proc/thread-self). Its work then waits for a busy event loop instead of
 * delaying relays; on an idle core it runs at once. Elsewhere, or without permission, nothing changes.
 */
export function lowerThreadPriority(niceness: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, niceness);
  } catch {
    // Not Linux, or not allowed: same priority as the event loop.
  }
}

/** A thrown value as a reply's error (what survives the trip between threads). */
export function errorOf(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
}

/** Requests to a worker thread, each answered by one {@link WorkerReply} with its id. */
export interface WorkerCalls {
  /** Posts `message` (numbered by the caller's `id`) and resolves with its reply's value. */
  call(message: Record<string, unknown>, transfer?: readonly ArrayBuffer[]): Promise<unknown>;
  /** Waits for the reply with id 0 (the thread's start), resolving or rejecting with it. */
  waitFor(id: number): Promise<unknown>;
  /** How many requests are unanswered. */
  readonly pending: number;
  /** Set once the thread failed, exited or was stopped: every call rejects with it. */
  readonly stopped: Error | null;
  /** Rejects every unanswered request with `err`, and every later call. */
  stop(err: Error): void;
}

/**
 * The request/reply bookkeeping of a worker thread: numbers requests, settles each with its reply,
 * rejects them all when the thread fails or exits (`describe` names it in the error), and keeps
 * the process alive only while a request is unanswered.
 */
export function workerCalls(
  worker: Worker,
  describe: string,
  toError: (error: { name: string; message: string }) => Error = (e) => new Error(e.message),
): WorkerCalls {
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  let stopped: Error | null = null;
  const stop = (err: Error) => {
    stopped ??= err;
    for (const w of waiting.values()) w.reject(stopped);
    waiting.clear();
    worker.unref();
  };
  worker.on('message', (reply: WorkerReply) => {
    const w = waiting.get(reply.id);
    if (w === undefined) return;
    waiting.delete(reply.id);
    if (reply.ok) w.resolve(reply.value);
    else w.reject(toError(reply.error));
    // An idle thread does not keep the process alive; a pending request does.
    if (waiting.size === 0) worker.unref();
  });
  worker.on('error', (err) => stop(new Error(`${describe} failed: ${err.message}`)));
  worker.on('exit', (code) => stop(new Error(`${describe} exited (code ${code})`)));
  const waitFor = (id: number) =>
    new Promise<unknown>((resolve, reject) => {
      if (stopped !== null) reject(stopped);
      else waiting.set(id, { resolve, reject });
    });
  return {
    call(message, transfer = []) {
      if (stopped !== null) return Promise.reject(stopped);
      const id = nextId++;
      const answered = waitFor(id);
      worker.ref();
      worker.postMessage({ ...message, id }, transfer as ArrayBuffer[]);
      return answered;
    },
    waitFor,
    get pending() {
      return waiting.size;
    },
    get stopped() {
      return stopped;
    },
    stop,
  };
}
