/** A document as the list shows it. */
export interface DocumentSummary {
  readonly id: string;
  readonly title: string;
  readonly updatedAt?: string;
}

/** A 4xx/5xx answer (`{"error","message"}`) or a failed request (status 0: no network). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new ApiError(0, 'network', `cannot reach the server (${String(err)})`);
  }
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => null)) as { error?: string; message?: string } | null;
  if (!response.ok) {
    throw new ApiError(response.status, data?.error ?? 'http_error', data?.message ?? `HTTP ${response.status}`);
  }
  return data as T;
}

const base = '/api/documents';
const one = (id: string) => `${base}/${encodeURIComponent(id)}`;

/** The server's document REST API. */
export const documentsApi = {
  list: async (): Promise<DocumentSummary[]> =>
    (await request<{ documents: DocumentSummary[] }>('GET', base)).documents,
  create: (title?: string): Promise<DocumentSummary> => request('POST', base, title === undefined ? {} : { title }),
  rename: (id: string, title: string): Promise<DocumentSummary> => request('PATCH', one(id), { title }),
  remove: (id: string): Promise<void> => request('DELETE', one(id)),
};

const CACHE_KEY = 'tandem:documents';

/** The last list seen, for showing titles while offline. */
export function cachedDocuments(): DocumentSummary[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(CACHE_KEY) ?? '[]');
    return Array.isArray(parsed) ? (parsed as DocumentSummary[]) : [];
  } catch {
    return [];
  }
}

/** Remembers the list (see {@link cachedDocuments}). */
export function cacheDocuments(documents: readonly DocumentSummary[]): void {
  try {
    localStorage.setItem(CACHE_KEY, JSON.stringify(documents));
  } catch {
    // Storage full or disabled: the cache is only a convenience.
  }
}
