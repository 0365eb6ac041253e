import { readToken, type TokenSource } from '@tandem/client';

/** How a version came to be: taken after a burst of edits, named by a user, or taken before a restore/import. */
export type VersionKind = 'auto' | 'named' | 'implicit';

/** Someone who wrote in, named or restored a version (`{ userId: null, name: 'anonymous' }` in open mode). */
export interface VersionAuthor {
  readonly userId: string | null;
  readonly name: string;
}

/** One stored version of a document, as `GET /api/documents/<id>/versions` lists it. */
export interface VersionInfo {
  readonly id: string;
  readonly kind: VersionKind;
  readonly label: string | null;
  readonly reason: 'restore' | 'import' | null;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly bytes: number;
  /** Who wrote since the previous version, in first-write order. */
  readonly authors: readonly VersionAuthor[];
  readonly createdBy: VersionAuthor | null;
}

/** One page of versions, newest first; `next` is the cursor of the older page, null at the end. */
export interface VersionPage {
  readonly versions: readonly VersionInfo[];
  readonly next: string | null;
}

/** A run of plain text that is in both, only in the newer (`insert`) or only in the older (`delete`) side. */
export interface TextChange {
  readonly type: 'equal' | 'insert' | 'delete';
  readonly text: string;
}

/** What the compare route answers: `from` against `to` (a version or the current document). */
export interface VersionComparison {
  readonly from: VersionInfo;
  readonly to: VersionInfo | 'current';
  readonly changes: readonly TextChange[];
}

/** What restoring answers: the version restored and the implicit version taken just before. */
export interface RestoreResult {
  readonly restored: VersionInfo;
  readonly backup: VersionInfo;
}

/** A refused or failed request: the server's `{ error, message }`, or status 0 when the server was not reached. */
export class HistoryApiError extends Error {
  override readonly name = 'HistoryApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** True when the caller lacks the access the request needs (403). */
  get forbidden(): boolean {
    return this.status === 403;
  }
}

/** Where the versions routes are and who calls them. */
export interface HistoryApiOptions {
  /** The server's HTTP origin, e.g. `https://tandem.example.com`; `''` for the page's own origin. */
  readonly baseUrl: string;
  /** The document id. */
  readonly room: string;
  /** Sent as `Authorization: Bearer` (a function is called for every request). */
  readonly token?: TokenSource;
  /** The fetch implementation (default: the global one). */
  readonly fetch?: typeof fetch;
}

/** The versions routes of one document (`/api/documents/<id>/versions`, see README "Version history"). */
export interface HistoryApi {
  list(page?: { readonly before?: string | null; readonly limit?: number }): Promise<VersionPage>;
  /** Creates a named version of the current content. */
  name(label: string): Promise<VersionInfo>;
  get(versionId: string): Promise<VersionInfo>;
  /** The version's full state as one Yjs update (`format=yjs`). */
  state(versionId: string): Promise<Uint8Array>;
  /** The changes from the version to `to` (default: the current document). */
  compare(versionId: string, to?: string): Promise<VersionComparison>;
  restore(versionId: string): Promise<RestoreResult>;
  /** Deletes a named version. */
  remove(versionId: string): Promise<void>;
}

/** A {@link HistoryApi} over HTTP. */
export function createHistoryApi(options: HistoryApiOptions): HistoryApi {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const root = `${options.baseUrl.replace(/\/+$/, '')}/api/documents/${encodeURIComponent(options.room)}/versions`;
  const one = (versionId: string) => `${root}/${encodeURIComponent(versionId)}`;

  async function send(method: string, url: string, accept: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let token: string | null;
    try {
      token = await readToken(options.token);
    } catch (err) {
      throw new HistoryApiError(0, 'invalid_token', err instanceof Error ? err.message : String(err));
    }
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new HistoryApiError(0, 'network', `cannot reach the server: ${err instanceof Error ? err.message : err}`);
    }
    if (!response.ok) {
      const text = await response.text();
      const data = parseJson(text);
      const problem = isProblem(data) ? data : null;
      throw new HistoryApiError(
        response.status,
        problem?.error ?? 'http_error',
        problem?.message ?? `HTTP ${response.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`,
      );
    }
    return response;
  }

  async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
    const response = await send(method, url, 'application/json', body);
    if (response.status === 204) return undefined as T;
    const data = parseJson(await response.text());
    if (data === undefined) {
      throw new HistoryApiError(response.status, 'bad_response', `the server answered ${method} ${url} with no JSON`);
    }
    return data as T;
  }

  return {
    list(page = {}) {
      const query = new URLSearchParams();
      if (page.limit !== undefined) query.set('limit', String(page.limit));
      if (page.before !== undefined && page.before !== null) query.set('before', page.before);
      const search = query.size === 0 ? '' : `?${query}`;
      return call('GET', `${root}${search}`);
    },
    name: (label) => call('POST', root, { label }),
    get: (versionId) => call('GET', one(versionId)),
    state: async (versionId) => {
      const response = await send('GET', `${one(versionId)}/content?format=yjs`, 'application/octet-stream');
      return new Uint8Array(await response.arrayBuffer());
    },
    compare: (versionId, to = 'current') => call('GET', `${one(versionId)}/compare?${new URLSearchParams({ to })}`),
    restore: (versionId) => call('POST', `${one(versionId)}/restore`, {}),
    remove: (versionId) => call('DELETE', one(versionId)),
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isProblem(value: unknown): value is { error?: string; message?: string } {
  return typeof value === 'object' && value !== null && ('message' in value || 'error' in value);
}
