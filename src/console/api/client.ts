/**
 * @module console/api/client
 * Calls to the baton API with the signed-in token: JSON in and out, an
 * error response turned into an ApiError carrying the server's message.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Api {
  /** `onUnauthorized`: the server refused the token (revoked while signed in). */
  constructor(
    readonly token: string,
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { ...this.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (error) {
      throw new ApiError(0, 'NETWORK', `the server cannot be reached (${(error as Error).message})`);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'NOT_JSON', `the server answered ${res.status} with something that is not JSON`);
    }
    if (res.status === 401) this.onUnauthorized();
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(res.status, err?.code ?? 'HTTP', err?.message ?? `the server answered ${res.status}`);
    }
    return json as T;
  }
}

/** The query string of the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
