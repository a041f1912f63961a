// @fastify/multipart's own limit and format errors, in the Messaging API's words: shared by the
// uploads that read a multipart form (Cloud media, Flow JSON assets).
import type { ApiError } from '../../errors.ts';
import { invalidParameter } from '../errors.ts';

/** The answer for one of @fastify/multipart's coded errors; undefined for any other error. */
export function multipartLimitError(err: unknown, fields: readonly string[], tooLarge: () => ApiError): ApiError | undefined {
  switch ((err as { code?: string })?.code) {
    case 'FST_FILES_LIMIT':
      return invalidParameter('file: upload one file per request');
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return invalidParameter(`too many form fields; send ${fields.join(', ')} and file`);
    case 'FST_PROTO_VIOLATION':
      return invalidParameter('a form field has a reserved name');
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge();
    case 'FST_MP_PREMATURE_CLOSE':
      return invalidParameter('the upload ended before the multipart body was complete');
  }
  return undefined;
}
