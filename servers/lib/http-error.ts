// The one error type every route throws. Each framework turns it into the same response:
// status `status`, body `{ "error": message }`.

export class HttpError extends Error {
  readonly status: number;
  /** Extra response headers, e.g. `Allow` on a 405. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

export interface ErrorBody {
  error: string;
}

/**
 * Any thrown value -> status, headers and `{error}` body. Framework errors that carry a 4xx
 * `status`/`statusCode` (bad JSON, body too large, ...) keep it; anything else is a 500.
 */
export function toErrorResponse(err: unknown): {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: ErrorBody;
} {
  if (err instanceof HttpError)
    return { status: err.status, headers: err.headers, body: { error: err.message } };
  const e = err as { status?: unknown; statusCode?: unknown; message?: unknown } | null;
  const status = Number(e?.statusCode ?? e?.status);
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    return { status, headers: {}, body: { error: String(e?.message ?? 'bad request') } };
  }
  return { status: 500, headers: {}, body: { error: `internal error: ${String(e?.message ?? err)}` } };
}
