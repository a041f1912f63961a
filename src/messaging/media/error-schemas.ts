// The media routes' own error answers in /openapi.json (error-responses.ts documents the 400 and
// 401 every Messaging API route has; a route's own entries replace those). Like those schemas,
// these also serialize the answers, so they stay open: a number on Meta's network passes Meta's
// own error objects through on the same routes.
import type { TSchema } from 'typebox';
import { CloudErrorBody, KeyErrorBody, OnPremErrorBody } from '../error-responses.ts';
import { ENDPOINT_BLOCKED } from './get-error-block.ts';
import { GRAPH_DOCS } from './not-found.ts';

/** The same schema with this route's description. */
const described = <S extends TSchema>(schema: S, description: string): S => ({ ...schema, description });

/** Cloud GET / DELETE /{media_id}: 400 for media that is not there (or another number's), as Meta's Graph API answers it. */
export const UnknownMediaBody = (method: 'get' | 'delete') =>
  described(
    CloudErrorBody,
    `Media unknown, deleted, expired or another number's (indistinguishable), as Meta's Graph API answers it: ` +
      `{"error":{"message":"Unsupported ${method} request. Object with ID '<id>' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at ${GRAPH_DOCS}",` +
      `"type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"…"}}. Any other invalid request: Meta's Cloud API error body ` +
      `{"error":{"message","type","code","error_data":{"messaging_product","details"},"fbtrace_id"}}.`,
  );

/** Cloud GET /{media_id} while blocked after repeated errors (OPENWABA_MEDIA_GET_ERROR_BLOCK). */
export const BlockedBody = described(
  KeyErrorBody,
  `The number's GET /{media_id} is blocked after repeated errors (by default in production: 20 error answers within 60 minutes block it for 30 minutes; ` +
    `OPENWABA_MEDIA_GET_ERROR_BLOCK), 360dialog's body: {"meta":{"success":false,"http_code":403,"developer_message":"${ENDPOINT_BLOCKED}"}}, with Retry-After in seconds.`,
);

/** The download URL: 404 when the media is gone, another number's, or the URL expired or was altered. */
export const DownloadErrorBody = described(
  CloudErrorBody,
  'Download URL expired (5 minutes), altered, or its media gone or another number\'s: 404 in the Cloud error body {"error":{"message":"(#100) …","type","code":100,"error_subcode"?,"error_data":{"messaging_product","details"},"fbtrace_id"}}.',
);

/** On-Premise GET / DELETE /v1/media/{id}: 404, code 1006. */
export const OnPremMediaErrorBody = described(
  OnPremErrorBody,
  'Media unknown, deleted, expired or another number\'s: 404 {"errors":[{"code":1006,"title":"Resource not found","details","href"}],"meta":{"api_status","version"}}.',
);
