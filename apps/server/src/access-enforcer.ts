import { CloseCode } from '@tandem/protocol';
import type { Logger } from 'pino';
import { accessOf } from './auth/access.js';
import {
  type AccessChange,
  type AccessChangeLog,
  binds,
  decodeAccessChange,
  encodeAccessChange,
  withChanges,
} from './auth/access-changes.js';
import { ACCESS_CHANGES_CHANNEL, type Fanout } from './fanout/fanout.js';
import type { RoomMember } from './rooms/member.js';

/** What one node did to its own open sessions for a change. */
export interface EnforcementReport {
  /** Sessions closed with 4403. */
  readonly closed: number;
  /** Sessions whose write permission changed (write → read, or back). */
  readonly changed: number;
}

/** Makes access changes: recorded where every node reads them, enforced on every node's open sessions. */
export interface AccessEnforcer {
  /** Records `change` (REVOKE-2), tells the other nodes (REVOKE-3) and applies it to this node's sessions. */
  change(change: AccessChange): Promise<EnforcementReport>;
  /**
   * Applies the changes this node has seen to a session entering its room: one whose token was
   * verified just before a change, and so missed both the log and the open-session pass.
   */
  admit(member: RoomMember): void;
  /** Stops listening to the other nodes. */
  close(): void;
}

/** What the enforcer needs. */
export interface AccessEnforcerDeps {
  readonly log: Pick<AccessChangeLog, 'record'>;
  readonly fanout: Pick<Fanout, 'publish' | 'subscribe'>;
  /** Every open session of this node (the room registry's members). */
  readonly members: () => Iterable<RoomMember>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Creates the enforcer and subscribes it to the other nodes' changes. */
export function createAccessEnforcer(deps: AccessEnforcerDeps): AccessEnforcer {
  const now = deps.now ?? Date.now;
  /** Changes this node has applied and that still bind: a session joining later gets them too. */
  let recent: AccessChange[] = [];
  /** Applies `change` to one open session: closed, its write permission changed, or untouched. */
  const applyTo = (member: RoomMember, change: AccessChange, at: number): 'closed' | 'changed' | null => {
    const identity = member.identity;
    if (identity === null || !member.isOpen || !binds(change, identity, at)) return null;
    if (change.kind === 'revoke' && change.document !== null && change.document !== member.roomId) return null;
    const access = accessOf(withChanges(identity, [change], at), member.roomId);
    if (!access.ok) {
      member.close(CloseCode.forbidden, change.kind === 'revoke' ? 'access revoked' : 'permission withdrawn');
      return 'closed';
    }
    const changed = access.canWrite !== member.canWrite;
    // A read-only session keeps its socket: its next update is refused with the AUTH-4 notice.
    member.grant(access);
    return changed ? 'changed' : null;
  };
  const enforce = (change: AccessChange): EnforcementReport => {
    let closed = 0;
    let changed = 0;
    const at = now();
    recent = [...recent.filter((c) => c.until > at), change];
    for (const member of [...deps.members()]) {
      const outcome = applyTo(member, change, at);
      if (outcome === 'closed') closed++;
      else if (outcome === 'changed') changed++;
    }
    if (closed + changed > 0) deps.logger.info({ change, closed, changed }, 'access change applied');
    return { closed, changed };
  };
  const subscription = deps.fanout.subscribe(ACCESS_CHANGES_CHANNEL, (message) => {
    if (message.kind !== 'control') return;
    const change = decodeAccessChange(message.payload);
    if (change === null) {
      deps.logger.warn('dropped an undecodable access change from another node');
      return;
    }
    enforce(change);
  });
  return {
    async change(change) {
      await deps.log.record(change);
      deps.fanout.publish(ACCESS_CHANGES_CHANNEL, { kind: 'control', payload: encodeAccessChange(change) });
      return enforce(change);
    },
    admit(member) {
      const at = now();
      for (const change of recent) applyTo(member, change, at);
    },
    close() {
      subscription.close();
    },
  };
}
