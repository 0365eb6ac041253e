/**
 * Durable-ack accounting for one document (EXT-3). Local changes are numbered; each update
 * frame sent records the newest change it covers; an ack "persisted through N" settles every
 * change covered by frames 1…N. Frame numbers restart with every connection.
 */
export class AckTracker {
  /** Local changes made so far. */
  private localSeq = 0;
  /** Highest local change the server has acknowledged. */
  private ackedSeq = 0;
  /** Update frames sent on this connection and not acknowledged yet. */
  private inFlight: { frame: number; seq: number }[] = [];
  private framesSent = 0;

  /** Local changes not yet acknowledged as durable. */
  get unsynced(): number {
    return this.localSeq - this.ackedSeq;
  }

  /** The number of the newest local change. */
  get latestChange(): number {
    return this.localSeq;
  }

  /** The newest local change known durable. */
  get acknowledgedChange(): number {
    return this.ackedSeq;
  }

  /** Records a local change. */
  change(): void {
    this.localSeq++;
  }

  /** Records an update frame (sync step 2 or update) sent now; it covers every change so far. */
  frameSent(): void {
    this.framesSent++;
    this.inFlight.push({ frame: this.framesSent, seq: this.localSeq });
  }

  /** Applies an ack; returns true when it settled anything. */
  ack(through: number): boolean {
    let settled = false;
    while (this.inFlight.length > 0 && (this.inFlight[0]?.frame ?? Number.POSITIVE_INFINITY) <= through) {
      const entry = this.inFlight.shift();
      if (entry !== undefined && entry.seq > this.ackedSeq) {
        this.ackedSeq = entry.seq;
        settled = true;
      }
    }
    return settled;
  }

  /** Without acks (plain servers) a sent frame is as settled as it will get. */
  settleSent(): boolean {
    const before = this.ackedSeq;
    const last = this.inFlight.at(-1);
    if (last !== undefined) this.ackedSeq = Math.max(this.ackedSeq, last.seq);
    this.inFlight = [];
    return this.ackedSeq !== before;
  }

  /** The connection ended: unacknowledged frames count for nothing; the next sync resends. */
  reset(): void {
    this.inFlight = [];
    this.framesSent = 0;
  }
}
