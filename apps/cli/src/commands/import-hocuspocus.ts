import Database from 'better-sqlite3';
import pg from 'pg';
import * as Y from 'yjs';
import { CommandError, expectPositionals, optionString, type ParsedArgs, UsageError } from '../args.js';

/** Usage of `tandem import-hocuspocus`. */
export const IMPORT_HOCUSPOCUS_USAGE = `usage: tandem import-hocuspocus <http-url> --admin-token T
         (--sqlite FILE | --postgres URL) [--query SQL] [--dry-run]

Copies the documents of a Hocuspocus deployment into a running Tandem server's store, through
its admin import (POST /admin/documents/<name>/import: inspected, stored and relayed like any
edit, answered only once durable).

  --sqlite FILE    the database of Hocuspocus' SQLite extension (table documents(name, data))
  --postgres URL   a Postgres connection string; --query must return columns name and data
  --query SQL      the query that lists the documents (default: SELECT name, data FROM documents)
  --admin-token T  the server's ADMIN_TOKEN
  --dry-run        decode and compare every document, write nothing

Each document is decoded as a Yjs update first; one that does not decode (or builds on history
it lacks) is reported with the reason and skipped, never half-written. A document whose state the
server already has is "unchanged", so a re-run imports nothing twice. Prints one line per document
and a summary (documents, bytes, failures with each failed document's name and reason); exits 1
when any document failed.`;

/** Option names of `tandem import-hocuspocus`. */
export const IMPORT_HOCUSPOCUS_SPEC = {
  values: ['sqlite', 'postgres', 'query', 'admin-token'],
  flags: ['dry-run'],
} as const;

const DEFAULT_QUERY = 'SELECT name, data FROM documents';

type Out = (line: string) => void;

/** One document read from the Hocuspocus store. */
interface SourceDocument {
  readonly name: string;
  readonly data: Uint8Array;
}

/** What happened to one document. */
type Outcome =
  | { readonly kind: 'imported' | 'unchanged' | 'would-import' }
  | { readonly kind: 'failed'; readonly reason: string };

/** `tandem import-hocuspocus`. Resolves with the exit code. */
export async function importHocuspocus(args: ParsedArgs, out: Out, err: Out): Promise<number> {
  const [base] = expectPositionals(args, ['<http-url>']);
  const server = parseServerUrl(base as string);
  const adminToken = optionString(args, 'admin-token');
  if (adminToken === undefined) throw new UsageError('--admin-token is required (the server’s ADMIN_TOKEN)');
  const dryRun = args.options.has('dry-run');
  const documents = await readSource(args);
  const admin = adminClient(server, adminToken);
  const totals = { imported: 0, unchanged: 0, bytes: 0 };
  /** Each failed document and why, in the order they were read. */
  const failures: { readonly name: string; readonly reason: string }[] = [];
  for (const [i, document] of documents.entries()) {
    const outcome = await importOne(admin, document, dryRun);
    const progress = `[${i + 1}/${documents.length}] ${JSON.stringify(document.name)} (${document.data.byteLength} bytes)`;
    if (outcome.kind === 'failed') {
      failures.push({ name: document.name, reason: outcome.reason });
      err(`${progress}: failed: ${outcome.reason}`);
      continue;
    }
    if (outcome.kind === 'unchanged') totals.unchanged++;
    else {
      totals.imported++;
      totals.bytes += document.data.byteLength;
    }
    err(`${progress}: ${outcome.kind}`);
  }
  out(
    JSON.stringify({
      documents: documents.length,
      [dryRun ? 'wouldImport' : 'imported']: totals.imported,
      unchanged: totals.unchanged,
      failed: failures.length,
      failures,
      bytes: totals.bytes,
      dryRun,
    }),
  );
  return failures.length === 0 ? 0 : 1;
}

function parseServerUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${JSON.stringify(raw)} is not a URL; give the server's http(s)://HOST:PORT`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the server URL must be http(s)://HOST:PORT, got ${url.protocol}`);
  }
  return url;
}

/** Reads every (name, data) row of the source; a row without both is a failure of the whole read. */
async function readSource(args: ParsedArgs): Promise<SourceDocument[]> {
  const sqlite = optionString(args, 'sqlite');
  const postgres = optionString(args, 'postgres');
  if ((sqlite === undefined) === (postgres === undefined)) {
    throw new UsageError('give exactly one source: --sqlite FILE or --postgres URL');
  }
  const query = optionString(args, 'query') ?? DEFAULT_QUERY;
  const rows = sqlite !== undefined ? readSqlite(sqlite, query) : await readPostgres(postgres as string, query);
  return rows.map((row, i) => toDocument(row, i));
}

function readSqlite(file: string, query: string): unknown[] {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new CommandError(`cannot open ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return db.prepare(query).all();
  } catch (e) {
    throw new CommandError(`the query failed on ${file}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    db.close();
  }
}

async function readPostgres(connectionString: string, query: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString });
  try {
    await client.connect();
    return (await client.query(query)).rows;
  } catch (e) {
    throw new CommandError(`reading from Postgres failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

function toDocument(row: unknown, index: number): SourceDocument {
  const { name, data } = (row ?? {}) as { name?: unknown; data?: unknown };
  if (typeof name !== 'string' || name === '') {
    throw new CommandError(`row ${index + 1} has no text column "name" (the query must return name and data)`);
  }
  if (!(data instanceof Uint8Array)) {
    throw new CommandError(`row ${index + 1} (${JSON.stringify(name)}) has no binary column "data"`);
  }
  return { name, data: new Uint8Array(data) };
}

/** The server's admin API, as the import uses it. */
interface AdminClient {
  /** The document's current state as one Yjs update (empty document: the empty update). */
  current(name: string): Promise<Uint8Array>;
  /** Imports `update`; resolves once it is durable, or rejects with the server's message. */
  import(name: string, update: Uint8Array): Promise<void>;
}

function adminClient(base: URL, token: string): AdminClient {
  const urlOf = (name: string, action: string) =>
    new URL(`/admin/documents/${encodeURIComponent(name)}/${action}`, base).toString();
  const headers = { authorization: `Bearer ${token}` };
  const failure = async (response: Response, what: string) => {
    const body = await response.text();
    let message = body;
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {}
    return new CommandError(`${what}: HTTP ${response.status} ${message}`);
  };
  const request = async (url: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, init);
    } catch (e) {
      throw new CommandError(`cannot reach ${base.origin}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return {
    async current(name) {
      const response = await request(`${urlOf(name, 'export')}?format=yjs`, { headers });
      if (!response.ok) throw await failure(response, 'reading the current document');
      return new Uint8Array(await response.arrayBuffer());
    },
    async import(name, update) {
      const response = await request(urlOf(name, 'import'), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: update,
      });
      if (response.status !== 204) throw await failure(response, 'the server refused the document');
    },
  };
}

/** Why `data` cannot be imported on its own, or null when it is a complete Yjs update. */
function undecodable(data: Uint8Array): string | null {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, data);
    if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) {
      return 'the update builds on history it does not contain';
    }
    return null;
  } catch (e) {
    return `not a Yjs update: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    doc.destroy();
  }
}

async function importOne(admin: AdminClient, document: SourceDocument, dryRun: boolean): Promise<Outcome> {
  const reason = undecodable(document.data);
  if (reason !== null) return { kind: 'failed', reason };
  try {
    const current = new Y.Doc();
    Y.applyUpdate(current, await admin.current(document.name));
    const contained = Y.snapshotContainsUpdate(Y.snapshot(current), document.data);
    current.destroy();
    if (contained) return { kind: 'unchanged' };
    if (dryRun) return { kind: 'would-import' };
    await admin.import(document.name, document.data);
    return { kind: 'imported' };
  } catch (e) {
    if (e instanceof CommandError) return { kind: 'failed', reason: e.message };
    throw e;
  }
}
