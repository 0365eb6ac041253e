import { readFileSync } from 'node:fs';
import { CommandError, UsageError } from './args.js';

/**
 * One line of a recording (JSON Lines): a frame a client sent to the server for `room`, on the
 * connection `session`, at `t` (ms since the epoch), with the frame's bytes in base64.
 */
export interface RecordedFrame {
  readonly t: number;
  readonly room: string;
  readonly session: string;
  readonly frame: Uint8Array;
}

/** The JSON object of one recording line. */
export interface RecordingLine {
  readonly t: number;
  readonly room: string;
  readonly session: string;
  readonly frame: string;
}

/** Encodes one recording line (no trailing newline). */
export function formatRecordingLine(entry: { t: number; room: string; session: string; frame: Uint8Array }): string {
  const line: RecordingLine = {
    t: entry.t,
    room: entry.room,
    session: entry.session,
    frame: Buffer.from(entry.frame).toString('base64'),
  };
  return JSON.stringify(line);
}

/** Parses recording text; a malformed line is an error naming its line number. Blank lines are skipped. */
export function parseRecording(text: string, source = 'recording'): RecordedFrame[] {
  const frames: RecordedFrame[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    const where = `${source}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new CommandError(`${where}: not a JSON object`);
    }
    const line = value as Partial<Record<keyof RecordingLine, unknown>> | null;
    if (
      line === null ||
      typeof line !== 'object' ||
      typeof line.t !== 'number' ||
      !Number.isFinite(line.t) ||
      typeof line.room !== 'string' ||
      typeof line.session !== 'string' ||
      typeof line.frame !== 'string'
    ) {
      throw new CommandError(`${where}: expected {"t": number, "room": string, "session": string, "frame": base64}`);
    }
    frames.push({ t: line.t, room: line.room, session: line.session, frame: base64Bytes(line.frame, where) });
  }
  return frames;
}

/** Reads and parses a recording file. */
export function readRecording(file: string): RecordedFrame[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CommandError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseRecording(text, file);
}

/** `--until`: milliseconds since the epoch, or an ISO 8601 date-time. */
export function parseUntil(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new UsageError(`--until must be milliseconds since the epoch or an ISO time`);
  return parsed;
}

/** The rooms a recording holds, in order of first appearance. */
export function roomsOf(frames: readonly RecordedFrame[]): string[] {
  return [...new Set(frames.map((f) => f.room))];
}

function base64Bytes(text: string, where: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new CommandError(`${where}: "frame" is not base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}
