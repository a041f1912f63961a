// What a media id that is not there answers, per route. "Not there" is one case: an id never
// issued, one deleted, one expired, and another number's id (tenant scoping: another channel's
// media must look exactly like media that never existed, so the answer names nothing but the id).
//
// - Cloud GET / DELETE /{media_id}: Meta's Graph API answer for a node that does not exist or
//   that the token may not see, HTTP 400 (not 404):
//   {"error":{"message":"Unsupported get request. Object with ID '<id>' does not exist, cannot be
//   loaded due to missing permissions, or does not support this operation. Please read the Graph
//   API documentation at https://developers.facebook.com/docs/graph-api","type":
//   "GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"…"}}. Seen verbatim (the
//   GET wording, status 400, code 100, subcode 33, GraphMethodException) in many Graph client
//   logs and in the answers a number on Meta's network passes through (network/meta/media-proxy.ts);
//   a DELETE says "Unsupported delete request" (Graph's wording for any method: "Unsupported post
//   request. Object with ID …" is seen too; the delete wording with the object sentence is
//   inferred from that pattern). No `error_data`: Graph's node errors come without it, and the
//   clients replayed here read `error_data` optionally (pywa) or not at all; `fbtrace_id` is there
//   (pywa reads it unconditionally).
// - The download URL (/whatsapp_business/attachments/?mid=…): openwaba's stand-in for Meta's CDN
//   URL, not a Graph node. Meta's CDN answers an expired or unknown URL with a 404, and clients
//   that download (whatsapp-api-js fetchMedia, Chatwoot's Down) test the status only: it stays a
//   404, in the Cloud body (code 100, subcode 33) as before.
// - On-Premise GET / DELETE /v1/media/{id}: the On-Premise API's own answer, HTTP 404 with code
//   1006 "Resource not found" (errors.ts renders a 404 of code 100 so; reference §6 keeps the
//   On-Premise error body). Unchanged: On-Premise clients (WABA360Dialog.NET, Chatwoot's 360dialog
//   provider) were written against that API, not against Graph.
import { ApiError } from '../../errors.ts';
import { fbtrace, metaError, type MetaErrorInfo } from '../errors.ts';

/** A media id as echoed in an answer: long input is cut (media ids are at most 32 digits). */
const shown = (id: string) => id.slice(0, 64);

export const GRAPH_DOCS = 'https://developers.facebook.com/docs/graph-api';

/** Meta's message for a node that is not there, for a GET or a DELETE. */
export const unsupportedRequestMessage = (method: string, id: string) =>
  `Unsupported ${method} request. Object with ID '${shown(id)}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at ${GRAPH_DOCS}`;

/**
 * Graph's 400 (code 100, subcode 33) for a node that is not there or that the token may not see:
 * media that is not this number's (Cloud GET/DELETE /{media_id}), a Graph path naming another
 * number or WABA (graph-paths.ts), an unknown template or QR code. `method` as Graph words it.
 */
export function graphNodeNotFound(method: string, id: string): ApiError {
  const m = method.toLowerCase();
  const message = unsupportedRequestMessage(m, id);
  const graph = { message, type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: fbtrace() };
  return new ApiError(400, message, { extra: { metaCode: 100, title: `Unsupported ${m} request`, subcode: 33, graph } satisfies MetaErrorInfo });
}

/** Cloud GET or DELETE /{media_id} of media that is not this number's. */
export const mediaNotFound = (id: string, method: 'get' | 'delete' = 'get'): ApiError => graphNodeNotFound(method, id);

/** The details of a 404 for media that is not there (the download URL, On-Premise). */
const missingMediaDetails = (id: string) =>
  `Object with ID '${shown(id)}' does not exist, cannot be loaded due to missing permissions, or does not support this operation (media expired or deleted, or uploaded by another number)`;

/** The download URL of media that is not there (or not this number's): the CDN's 404. */
export function downloadNotFound(id: string): ApiError {
  return metaError(404, 100, 'Unsupported request', missingMediaDetails(id), { subcode: 33 });
}

/** On-Premise GET or DELETE /v1/media/{id}: 404, code 1006 "Resource not found". */
export function onPremMediaNotFound(id: string): ApiError {
  return metaError(404, 100, 'Resource not found', missingMediaDetails(id));
}

/** Which answer a lookup gives when the media is not there. */
export type MediaMiss = (id: string) => ApiError;
export const cloudGetMiss: MediaMiss = (id) => mediaNotFound(id, 'get');
export const cloudDeleteMiss: MediaMiss = (id) => mediaNotFound(id, 'delete');
