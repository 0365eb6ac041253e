import { CloseCode } from '@tandem/protocol';
import type { Logger } from 'pino';
import type * as Y from 'yjs';
import type { RoomMember } from './member.js';

/** What the wait needs. */
export interface MissingHistoryDeps {
  readonly roomId: string;
  /** The room's document, read only once an update waits (it is built by then). */
  readonly document: { readonly doc: Y.Doc };
  /** How long an update may wait for its missing history (YJS-3). */
  readonly deadlineMs: number;
  readonly logger: Logger;
  /** Called when the pending part is dropped: whatever was derived from the document is stale. */
  readonly onDropped: () => void;
}

/** True while Yjs holds structs or deletions of `doc` pending (their history is missing). */
export function hasPending(doc: Y.Doc): boolean {
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
}

/**
 * An update built on history the server does not have waits in Yjs (a client may send its next
 * edit before its reconnect handshake arrives). If the history has not come by the deadline it
 * never will: the pending part is dropped and its senders are closed (YJS-3).
 */
export class MissingHistoryWait {
  private readonly deps: MissingHistoryDeps;
  /** Members whose updates wait in Yjs for missing history; null while none does (most rooms, always). */
  private waiting: Set<RoomMember> | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(deps: MissingHistoryDeps) {
    this.deps = deps;
  }

  /** `member` sent an update that now waits; the deadline starts with the first such update. */
  wait(member: RoomMember): void {
    if (this.waiting === null) this.waiting = new Set();
    this.waiting.add(member);
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => this.expire(), this.deps.deadlineMs);
    this.timer.unref();
  }

  /** Nothing waits any more: the senders of earlier out-of-order updates are in the clear. */
  arrived(): void {
    if (this.waiting === null) return;
    this.waiting = null;
    this.stop();
  }

  /** Cancels the deadline (the room is going away). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private expire(): void {
    this.timer = undefined;
    const senders = [...(this.waiting ?? [])];
    this.waiting = null;
    const { doc } = this.deps.document;
    if (!hasPending(doc)) return;
    doc.store.pendingStructs = null;
    doc.store.pendingDs = null;
    this.deps.onDropped();
    this.deps.logger.warn(
      { room: this.deps.roomId, sessions: senders.map((s) => s.id) },
      'dropped updates with missing history',
    );
    for (const sender of senders) {
      sender.close(CloseCode.policyViolation, 'update depends on history the server never received');
    }
  }
}
