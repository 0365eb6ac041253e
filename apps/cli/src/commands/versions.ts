import { writeFileSync } from 'node:fs';
import { CommandError, expectPositionals, optionNumber, optionString, type ParsedArgs, UsageError } from '../args.js';

/** Usage of `tandem versions`. */
export const VERSIONS_USAGE = `usage: tandem versions <list|show|diff|restore> <server-url> <document> [version] [options]

  list    <server-url> <document> [--limit N] [--before CURSOR] [--json]
          the document's versions, newest first (id, time, kind, size, label, authors)
  show    <server-url> <document> <version> [--format text|html|prosemirror|yjs] [--out file]
          one version's content (default text; yjs needs --out or a redirect)
  diff    <server-url> <document> <version> [--to current|<version>]
          the text changes from the version to the current document (or another version):
          inserted text as {+…+}, deleted as [-…-]
  restore <server-url> <document> <version>
          makes the document's content the version's (an implicit version is taken first)

<server-url> is the server's http(s):// (or ws(s)://) address. --token T authenticates (a Tandem
JWT, or the admin token); TANDEM_TOKEN is used when --token is absent. --timeout S bounds each request.`;

/** Option names of `tandem versions`. */
export const VERSIONS_SPEC = {
  values: ['token', 'timeout', 'limit', 'before', 'format', 'out', 'to'],
  flags: ['json'],
} as const;

type Out = (line: string) => void;

interface Author {
  readonly userId: string | null;
  readonly name: string;
}
interface VersionInfo {
  readonly id: string;
  readonly kind: string;
  readonly label: string | null;
  readonly createdAt: string;
  readonly bytes: number;
  readonly authors: readonly Author[];
  readonly createdBy: Author | null;
}

/** The server's REST API for one document's versions. */
class VersionsApi {
  private readonly base: string;
  constructor(
    server: string,
    document: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
  ) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new UsageError(`<server-url> must be an http(s):// address (got ${JSON.stringify(server)})`);
    }
    if (url.protocol === 'ws:' || url.protocol === 'wss:') url.protocol = url.protocol === 'ws:' ? 'http:' : 'https:';
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`<server-url> must be an http(s):// address (got ${JSON.stringify(server)})`);
    }
    this.base = `${url.origin}/api/documents/${encodeURIComponent(document)}/versions`;
  }

  /** Calls `path` under the document's versions; a non-2xx answer is a CommandError with the server's message. */
  async call(method: string, path: string, query: Record<string, string> = {}): Promise<Response> {
    const search = new URLSearchParams(query).toString();
    const url = `${this.base}${path}${search === '' ? '' : `?${search}`}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: this.token === undefined ? {} : { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const inner = (e as { cause?: { code?: string; message?: string } }).cause;
      const cause = inner?.code ?? inner?.message ?? (e instanceof Error ? e.message : String(e));
      throw new CommandError(`${method} ${url} failed: ${cause}`);
    }
    if (!response.ok) {
      const body = await response.text();
      let message = body;
      try {
        message = (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        // Not JSON: the body as it is.
      }
      throw new CommandError(`${response.status} ${message}`);
    }
    return response;
  }

  async json<T>(method: string, path: string, query: Record<string, string> = {}): Promise<T> {
    return (await (await this.call(method, path, query)).json()) as T;
  }
}

const describeAuthors = (authors: readonly Author[]) =>
  authors.length === 0 ? '-' : authors.map((a) => (a.userId === null ? a.name : `${a.name} (${a.userId})`)).join(', ');

/** One line of `versions list`. */
function versionLine(v: VersionInfo): string {
  const label = v.label === null ? '' : ` ${JSON.stringify(v.label)}`;
  return `${v.id}\t${v.createdAt}\t${v.kind}\t${v.bytes}B${label}\tby ${describeAuthors(v.authors)}`;
}

/** `tandem versions`. Resolves with the exit code. */
export async function versions(args: ParsedArgs, out: Out, err: Out): Promise<number> {
  const [action, ...rest] = args.positionals;
  const sub: ParsedArgs = { positionals: rest, options: args.options };
  const token = optionString(args, 'token') ?? process.env.TANDEM_TOKEN;
  const timeoutMs = (optionNumber(args, 'timeout') ?? 30) * 1000;
  const api = (server: string, document: string) => new VersionsApi(server, document, token, timeoutMs);
  switch (action) {
    case 'list': {
      const [server, document] = expectPositionals(sub, ['<server-url>', '<document>']);
      const limit = optionNumber(args, 'limit', { integer: true });
      const before = optionString(args, 'before');
      const page = await api(server as string, document as string).json<{
        versions: VersionInfo[];
        next: string | null;
      }>('GET', '', {
        ...(limit === undefined ? {} : { limit: String(limit) }),
        ...(before === undefined ? {} : { before }),
      });
      if (args.options.has('json')) out(JSON.stringify(page, null, 2));
      else for (const v of page.versions) out(versionLine(v));
      err(`# ${page.versions.length} versions${page.next === null ? '' : `; older: --before ${page.next}`}`);
      return 0;
    }
    case 'show': {
      const [server, document, id] = expectPositionals(sub, ['<server-url>', '<document>', '<version>']);
      const format = optionString(args, 'format') ?? 'text';
      if (!['text', 'html', 'prosemirror', 'yjs'].includes(format)) {
        throw new UsageError(`--format must be text, html, prosemirror or yjs (got ${JSON.stringify(format)})`);
      }
      const file = optionString(args, 'out');
      if (format === 'yjs' && file === undefined && process.stdout.isTTY) {
        throw new UsageError(
          'refusing to write a binary Yjs update to a terminal; add --out <file> or redirect stdout',
        );
      }
      const response = await api(server as string, document as string).call(
        'GET',
        `/${encodeURIComponent(id as string)}/content`,
        {
          format,
        },
      );
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (file !== undefined) {
        writeFileSync(file, bytes);
        err(`# version ${id}: ${bytes.byteLength} bytes (${format}) to ${file}`);
      } else if (format === 'yjs') process.stdout.write(bytes);
      else out(Buffer.from(bytes).toString('utf8'));
      return 0;
    }
    case 'diff': {
      const [server, document, id] = expectPositionals(sub, ['<server-url>', '<document>', '<version>']);
      const to = optionString(args, 'to') ?? 'current';
      const compared = await api(server as string, document as string).json<{
        changes: { type: 'equal' | 'insert' | 'delete'; text: string }[];
      }>('GET', `/${encodeURIComponent(id as string)}/compare`, { to });
      out(
        compared.changes
          .map((c) => (c.type === 'insert' ? `{+${c.text}+}` : c.type === 'delete' ? `[-${c.text}-]` : c.text))
          .join(''),
      );
      const inserted = compared.changes.filter((c) => c.type === 'insert').reduce((n, c) => n + c.text.length, 0);
      const deleted = compared.changes.filter((c) => c.type === 'delete').reduce((n, c) => n + c.text.length, 0);
      err(`# version ${id} → ${to}: ${inserted} characters inserted, ${deleted} deleted`);
      return 0;
    }
    case 'restore': {
      const [server, document, id] = expectPositionals(sub, ['<server-url>', '<document>', '<version>']);
      const done = await api(server as string, document as string).json<{ restored: VersionInfo; backup: VersionInfo }>(
        'POST',
        `/${encodeURIComponent(id as string)}/restore`,
      );
      out(
        `restored version ${done.restored.id} (${done.restored.createdAt}); the content before is version ${done.backup.id}`,
      );
      return 0;
    }
    case undefined:
      throw new UsageError('missing the action: list, show, diff or restore');
    default:
      throw new UsageError(`unknown action ${JSON.stringify(action)}: list, show, diff or restore`);
  }
}
