// One error class for every API. Each API's error handler renders it in that API's wire format
// (Partner API `{"meta":{…}}`, Cloud API `{"error":{…}}`, On-Premise `{"errors":[…],"meta":{…}}`).

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal';

const DEFAULT_CODE: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

export class ApiError extends Error {
  readonly code: ErrorCode;
  constructor(
    readonly status: number,
    message: string,
    opts: {
      code?: ErrorCode;
      /** Extra human-readable details (Partner API `meta.details`). */
      details?: string[];
      /** Seconds, sent as Retry-After. */
      retryAfter?: number;
      /** Anything a specific wire format needs (e.g. Meta error numbers). */
      extra?: Record<string, unknown>;
    } = {},
  ) {
    super(message);
    this.code = opts.code ?? DEFAULT_CODE[status] ?? (status >= 500 ? 'internal' : 'bad_request');
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
    this.extra = opts.extra;
  }
  readonly details: string[] | undefined;
  readonly retryAfter: number | undefined;
  readonly extra: Record<string, unknown> | undefined;
}

export const badRequest = (msg: string, details?: string[]) => new ApiError(400, msg, { details });
export const unauthorized = (msg = 'Unauthorized') => new ApiError(401, msg);
export const forbidden = (msg = 'Forbidden') => new ApiError(403, msg);
export const notFound = (msg = 'Not found') => new ApiError(404, msg);

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

/**
 * Turns anything thrown inside a request into an ApiError: ours pass through; Fastify's own
 * (schema validation, bad JSON, body too large, wrong content type) keep their 4xx status with
 * a readable message; everything else is a 500 whose details stay in the log.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as FastifyLikeError;
  if (e && Array.isArray(e.validation)) {
    const where = e.validationContext ?? 'body';
    const details = e.validation.map((v) => {
      const missing = v.params && typeof v.params.missingProperty === 'string' ? v.params.missingProperty : undefined;
      const extra = v.params && typeof v.params.additionalProperty === 'string' ? v.params.additionalProperty : undefined;
      const at = `${where}${(v.instancePath ?? '').replace(/\//g, '.')}`;
      if (missing) return `${at}.${missing} is required`;
      if (extra) return `${at}.${extra} is not allowed`;
      return `${at} ${v.message ?? 'is invalid'}`;
    });
    return new ApiError(400, `Wrong payload: ${details.join('; ')}`, { details });
  }
  // PostgreSQL refusing a value SQLite would store (a NUL character, an out-of-range number):
  // the client's input, so a 400 rather than a 500.
  const pgCode = (err as { code?: unknown })?.code;
  if (pgCode === '22021' || pgCode === '22P05') return new ApiError(400, 'Text must not contain NUL (\\u0000) characters');
  if (pgCode === '22003' || pgCode === '22P02') return new ApiError(400, 'A value is out of range or not of the expected type');
  const status = e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    let message = e.message;
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const detail = message.replace(/^Unsupported Media Type:?\s*/i, '').trim();
      message = detail ? `Unsupported Content-Type: ${detail}` : 'Unsupported Content-Type: this endpoint does not take a body of this type';
    }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = 'Request body is too large';
    if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') message = `Malformed JSON body: ${e.message}`;
    return new ApiError(status, message);
  }
  return new ApiError(500, 'Internal server error', { code: 'internal' });
}
