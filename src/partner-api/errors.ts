import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, toApiError } from '../errors.ts';

/** The Partner API's error body: `{"meta":{"success":false,"http_code":N,"developer_message":…}}`. */
export function partnerErrorBody(e: ApiError) {
  return {
    meta: {
      success: false,
      http_code: e.status,
      developer_message: e.message,
      ...(e.details && e.details.length > 0 ? { details: e.details } : {}),
    },
  };
}

export function partnerErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const e = toApiError(err);
  if (e.status >= 500) request.log.error({ err }, 'partner api request failed');
  if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
  return reply.status(e.status).send(partnerErrorBody(e));
}

/** Unknown routes: a 404 in the Partner API's format (also used by the admin API). */
export function partnerNotFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return reply.status(404).send(partnerErrorBody(new ApiError(404, `Route ${request.method} ${request.url.split('?')[0]} not found`)));
}

export function successMeta(message: string) {
  return { meta: { success: true, http_code: 200, developer_message: message } };
}
