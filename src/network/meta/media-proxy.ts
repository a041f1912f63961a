// Media of a number on Meta's network: ids Meta issued (an inbound message's image, a file
// uploaded at Meta directly) are Meta's to describe, serve and delete. Ids openwaba issued (POST
// /media, POST /v1/media) stay local; the routes decide which is which (routes/media.ts).
//
// - GET /{media_id} → Meta's GET /{version}/{media_id}?phone_number_id=…, its `url` on Meta's CDN
//   (https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=…&ext=…&hash=…) with the
//   origin swapped for openwaba's public URL, path and query kept: 360dialog's documented swap
//   (lookaside.fbsbx.com → waba-v2.360dialog.io). Swapped whatever origin Meta named, as 360
//   documents it: Meta serves WhatsApp media from lookaside only, and the download below goes to
//   the configured CDN (OPENWABA_META_MEDIA_URL), never to a host an answer names.
// - GET /whatsapp_business/attachments/?… with the channel's key → the same path and query at
//   Meta's CDN with the bearer token, streamed to the client.
// - DELETE /{media_id} → Meta's DELETE /{version}/{media_id}?phone_number_id=….
import type { FastifyReply } from 'fastify';
import contentDisposition from 'content-disposition';
import type { ChannelRow } from '../../services/channels.ts';
import { mediaNotFound } from '../../messaging/media/store.ts';
import { extensionOf, MAX_MEDIA_BYTES } from '../../messaging/media/types.ts';
import { withQuery, type MetaCloudApi } from './cloud-api.ts';
import type { MediaDownload } from './graph-client.ts';
import { badAnswer } from './graph-errors.ts';

/** Meta's media ids are decimal digits; anything else is no media of Meta's (and no other Graph node is asked for). */
const META_MEDIA_ID = /^\d{1,32}$/;

/** The largest file WhatsApp carries (a 100 MB document) and a margin; more is no WhatsApp media. */
export const MAX_DOWNLOAD_BYTES = MAX_MEDIA_BYTES + 1024 * 1024;

export interface MetaMediaInfo {
  messaging_product: 'whatsapp';
  url: string;
  mime_type: string;
  sha256: string;
  file_size: number;
  id: string;
}

/** Meta's description of its media, `url` as Meta gave it. */
async function describe(api: MetaCloudApi, channel: ChannelRow, id: string): Promise<MetaMediaInfo & { cdn: URL }> {
  if (!META_MEDIA_ID.test(id)) throw mediaNotFound(id);
  const b = await api.json(channel, 'GET', (c) => withQuery(encodeURIComponent(id), { phone_number_id: c.phoneNumberId }));
  let cdn: URL | undefined;
  try {
    cdn = typeof b.url === 'string' ? new URL(b.url) : undefined;
  } catch {
    cdn = undefined;
  }
  // Meta's examples give file_size as a number, some answers as a string of digits: a number here,
  // as our own media answer it (and as typed clients declare it).
  const size = typeof b.file_size === 'number' ? b.file_size : typeof b.file_size === 'string' && /^\d{1,15}$/.test(b.file_size) ? Number(b.file_size) : undefined;
  if (!cdn || typeof b.mime_type !== 'string' || size === undefined) throw badAnswer(`a media object without url, mime_type or file_size (media ${id})`);
  return {
    messaging_product: 'whatsapp',
    url: cdn.toString(),
    mime_type: b.mime_type,
    sha256: typeof b.sha256 === 'string' ? b.sha256 : '',
    file_size: size,
    id: typeof b.id === 'string' ? b.id : id,
    cdn,
  };
}

/** GET /{media_id}: Meta's answer with its CDN's origin swapped for the public URL. */
export async function metaMediaInfo(api: MetaCloudApi, channel: ChannelRow, id: string): Promise<MetaMediaInfo> {
  const { cdn, ...info } = await describe(api, channel, id);
  // The public URL may carry a path prefix (behind a reverse proxy): kept before Meta's path.
  return { ...info, url: `${api.deps.config.publicUrl}${cdn.pathname}${cdn.search}` };
}

/** DELETE /{media_id}. */
export async function deleteMetaMedia(api: MetaCloudApi, channel: ChannelRow, id: string): Promise<{ success: boolean }> {
  if (!META_MEDIA_ID.test(id)) throw mediaNotFound(id);
  const b = await api.json(channel, 'DELETE', (c) => withQuery(encodeURIComponent(id), { phone_number_id: c.phoneNumberId }));
  return { success: b.success !== false };
}

/** The download URL's path and query at Meta's CDN, streamed to the client. */
export async function sendMetaDownload(api: MetaCloudApi, channel: ChannelRow, reply: FastifyReply, pathAndQuery: string) {
  return send(reply, await api.download(channel, pathAndQuery, MAX_DOWNLOAD_BYTES));
}

/** On-Premise GET /v1/media/{id} of Meta's media: its URL from Meta, then its bytes from the CDN. */
export async function sendMetaMedia(api: MetaCloudApi, channel: ChannelRow, reply: FastifyReply, id: string) {
  const { cdn, mime_type } = await describe(api, channel, id);
  const file = await api.download(channel, `${cdn.pathname}${cdn.search}`, MAX_DOWNLOAD_BYTES);
  // On-Premise clients save the file under the name the answer gives; the CDN may give none.
  return send(reply, { ...file, contentDisposition: file.contentDisposition ?? contentDisposition(`${id}.${extensionOf(mime_type)}`) });
}

function send(reply: FastifyReply, file: MediaDownload) {
  reply.type(file.contentType ?? 'application/octet-stream').header('cache-control', 'private, no-store');
  if (file.contentLength !== undefined) reply.header('content-length', String(file.contentLength));
  if (file.contentDisposition !== undefined) reply.header('content-disposition', file.contentDisposition);
  return reply.send(file.body);
}

