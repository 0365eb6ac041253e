import { writeFileSync } from 'node:fs';
import * as Y from 'yjs';
import { CommandError, optionString, type ParsedArgs, UsageError } from './args.js';
import { docAsJson, docAsText } from './doc-content.js';

/** How a document is written: plain text, JSON, or the Yjs update (`Y.encodeStateAsUpdate`). */
export type DocFormat = 'text' | 'json' | 'yjs';

/** Where and how to write a document, from `--format` and `--out`. */
export interface DocOutput {
  readonly format: DocFormat;
  readonly file: string | undefined;
}

/** `--format` (default: yjs with `--out`, text without) and `--out`. */
export function docOutput(args: ParsedArgs): DocOutput {
  const file = optionString(args, 'out');
  const format = optionString(args, 'format') ?? (file === undefined ? 'text' : 'yjs');
  if (format !== 'text' && format !== 'json' && format !== 'yjs') {
    throw new UsageError(`--format must be text, json or yjs (got ${JSON.stringify(format)})`);
  }
  if (format === 'yjs' && file === undefined && process.stdout.isTTY) {
    throw new UsageError('refusing to write a binary Yjs update to a terminal; add --out <file> or redirect stdout');
  }
  return { format, file };
}

/** Encodes `doc` in `format`. */
export function encodeDoc(doc: Y.Doc, format: DocFormat): Uint8Array {
  switch (format) {
    case 'yjs':
      return Y.encodeStateAsUpdate(doc);
    case 'json':
      return Buffer.from(`${JSON.stringify(docAsJson(doc), null, 2)}\n`);
    case 'text':
      return Buffer.from(docAsText(doc));
  }
}

/** Writes `doc` to the file or stdout; returns the number of bytes written. */
export async function writeDoc(doc: Y.Doc, output: DocOutput): Promise<number> {
  const bytes = encodeDoc(doc, output.format);
  if (output.file === undefined) {
    await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (err) => (err ? reject(err) : resolve())));
    return bytes.byteLength;
  }
  try {
    writeFileSync(output.file, bytes);
  } catch (err) {
    throw new CommandError(`cannot write ${output.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return bytes.byteLength;
}
