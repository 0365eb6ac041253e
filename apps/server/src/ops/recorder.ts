import { createWriteStream, mkdirSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/** One running recording. */
interface Recording {
  readonly file: string;
  readonly stream: WriteStream;
  readonly maxBytes: number;
  bytes: number;
}

/** A recording file as the admin API lists it. */
export interface RecordingInfo {
  readonly name: string;
  readonly bytes: number;
}

/**
 * Opt-in recording of a room's inbound frames, one JSON line per frame:
 * `{"t": ms since epoch, "room", "session", "frame": base64}` (the format `tandem replay` reads).
 * Bounded: a recording stops by itself once it reaches `maxBytes`.
 */
export class Recorder {
  private readonly active = new Map<string, Recording>();

  constructor(private readonly dir: string) {}

  /** Starts recording `room`; returns the file name. */
  start(room: string, maxBytes: number): string {
    this.stop(room);
    mkdirSync(this.dir, { recursive: true });
    const name = `${encodeURIComponent(room)}-${Date.now()}.jsonl`;
    const stream = createWriteStream(join(this.dir, name), { flags: 'wx' });
    this.active.set(room, { file: name, stream, maxBytes, bytes: 0 });
    return name;
  }

  /** Stops recording `room`; resolves once the file is complete. Returns its name, if any. */
  async stop(room: string): Promise<string | null> {
    const recording = this.active.get(room);
    if (recording === undefined) return null;
    this.active.delete(room);
    await new Promise<void>((resolve) => recording.stream.end(resolve));
    return recording.file;
  }

  /** Records one inbound frame if `room` is being recorded. */
  record(room: string, session: string, frame: Uint8Array): void {
    const recording = this.active.get(room);
    if (recording === undefined) return;
    const line = `${JSON.stringify({ t: Date.now(), room, session, frame: Buffer.from(frame).toString('base64') })}\n`;
    recording.bytes += Buffer.byteLength(line);
    if (recording.bytes > recording.maxBytes) {
      void this.stop(room);
      return;
    }
    recording.stream.write(line);
  }

  /** Whether `room` is being recorded. */
  isRecording(room: string): boolean {
    return this.active.has(room);
  }

  /** Finished and running recordings on disk. */
  list(): RecordingInfo[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.jsonl'));
    } catch {
      return [];
    }
    return names.sort().map((name) => ({ name, bytes: statSync(join(this.dir, name)).size }));
  }

  /** Absolute path of a listed recording, or null for a name that is not one. */
  pathOf(name: string): string | null {
    return this.list().some((r) => r.name === name) ? join(this.dir, name) : null;
  }

  async close(): Promise<void> {
    await Promise.all([...this.active.keys()].map((room) => this.stop(room)));
  }
}
