import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toApiError, type ApiError } from '../errors.ts';

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

export function successMeta(message: string) {
  return { meta: { success: true, http_code: 200, developer_message: message } };
}
