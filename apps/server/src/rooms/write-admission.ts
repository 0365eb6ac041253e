import { CloseCode, NoticeCode } from '@tandem/protocol';
import type { Claim } from './client-id-owners.js';
import type { RoomMember } from './member.js';
import type { PersistenceScheduler } from './persistence-scheduler.js';
import { type ClientClocks, inspectUpdate, type UpdateVerdict } from './update-guard.js';
import { WRITES_PAUSED_REASON, WritesPausedError, writesPausedFor } from './write-pause.js';
import type { WritePolicy } from './write-policy.js';

/** The outcome of an admin import: applied and stored, or refused with the problem named. */
export type ImportVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** An update admitted into the document. */
export type AdmittedUpdate = Extract<UpdateVerdict, { ok: true }>;

/** Who may write structs under which client id (room presence keeps the owners). */
export interface StructClaims {
  claimStructs(member: RoomMember, clients: readonly number[]): Claim<RoomMember>;
  /** The first of `clients` a live member writes structs under, if any. */
  liveStructWriter(clients: readonly number[]): number | null;
}

/** What admission reads. */
export interface WriteAdmissionDeps {
  /** The store backlog's bound (PERSIST-5). */
  readonly persistence: Pick<PersistenceScheduler, 'overBound'>;
  /** The document's state vector, read in place. */
  readonly clocks: ClientClocks;
  readonly policy: WritePolicy;
  readonly claims: StructClaims;
}

/**
 * Decides whether an update may touch the document, before it does: the writer's permission
 * (AUTH-4), the store backlog (PERSIST-5), the update's own bounds (YJS-1) and the client ids
 * it writes under (YJS-5). A refused member is told (notice) or closed here.
 */
export class WriteAdmission {
  private readonly deps: WriteAdmissionDeps;

  constructor(deps: WriteAdmissionDeps) {
    this.deps = deps;
  }

  /** The verdict on a member's update: admitted, or null once the member was told or closed. */
  admit(member: RoomMember, update: Uint8Array): AdmittedUpdate | null {
    if (!member.canWrite) {
      // Read-only (AUTH-4): nothing applied, stored or relayed; the frame still counts, so acks stay aligned.
      member.sendExtension({
        type: 'notice',
        code: NoticeCode.readOnly,
        message: 'read-only: this change was not applied',
      });
      return null;
    }
    // Store backlog full (PERSIST-5): not applied, relayed or stored; the client resends on reconnect.
    if (writesPausedFor(this.deps.persistence, update)) {
      member.close(CloseCode.tryAgainLater, WRITES_PAUSED_REASON);
      return null;
    }
    const verdict = inspectUpdate(update, this.deps.clocks, this.deps.policy.updateLimits);
    if (!verdict.ok) {
      member.log.warn({ reason: verdict.reason }, 'refused update');
      member.close(verdict.code, verdict.reason);
      return null;
    }
    const claim = this.deps.claims.claimStructs(member, verdict.writtenClients);
    if (!claim.ok) {
      member.close(CloseCode.policyViolation, `Yjs client id ${claim.clientId} belongs to another session`);
      return null;
    }
    return verdict;
  }

  /** The guard's verdict on another node's update: inspected only (it was admitted where it was written). */
  inspect(update: Uint8Array): UpdateVerdict {
    return inspectUpdate(update, this.deps.clocks, this.deps.policy.updateLimits);
  }

  /**
   * The verdict on an admin import (OPS-6): inspected like any update; one that builds on history
   * the document lacks is refused too, as nobody would send that history. Throws
   * {@link WritesPausedError} while the store backlog is full.
   */
  admitImport(update: Uint8Array): ImportVerdict {
    const verdict = this.inspect(update);
    if (!verdict.ok) return { ok: false, reason: verdict.reason };
    if (writesPausedFor(this.deps.persistence, update)) throw new WritesPausedError();
    if (verdict.incomplete) {
      return {
        ok: false,
        reason: 'update depends on history the document does not have (import the updates it builds on first)',
      };
    }
    return IMPORT_ADMITTED;
  }

  /**
   * The first client id `update` writes new structs under that a live member writes (YJS-5), if
   * any; null too for an update the guard refuses (admission names that).
   */
  liveWriterOf(update: Uint8Array): number | null {
    const verdict = this.inspect(update);
    return verdict.ok ? this.deps.claims.liveStructWriter(verdict.writtenClients) : null;
  }
}

const IMPORT_ADMITTED: ImportVerdict = { ok: true };

/**
 * Whether an applied update must be stored as sent: it changed the document, or left structs
 * pending (waiting for missing history), so nothing acked depends on memory alone; or it resends
 * content first seen from another node, which may not be durable yet (that node can die before
 * committing), so an ack here always means stored. Otherwise it is durable once everything
 * queued before it is.
 */
export function mustStore(update: Uint8Array, changedDoc: boolean, pending: boolean, remoteContent: boolean): boolean {
  return changedDoc || pending || (remoteContent && update.byteLength > 2);
}
