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
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import contentDisposition from 'content-disposition';
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { cloudDeleteMiss, cloudGetMiss, downloadNotFound, onPremMediaNotFound, type MediaMiss } from '../../messaging/media/not-found.ts';
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

/** Meta's description of its media, `url` as Meta gave it; an id that is none of Meta's is `miss(id)`. */
async function describe(api: MetaCloudApi, channel: ChannelRow, id: string, miss: MediaMiss): Promise<MetaMediaInfo & { cdn: URL }> {
  if (!META_MEDIA_ID.test(id)) throw miss(id);
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

/**
 * The download URL is bound to the number that asked for it: openwaba appends `openwaba_sig`, an
 * HMAC of the channel and Meta's path and query, and checks it before fetching with that
 * number's token. Operators often attach many tenants' numbers with one system-user token, which
 * Meta's CDN would honour for any of their files: without the binding, one tenant's key and
 * another tenant's (5-minute) URL would fetch the other tenant's file. The parameter goes last,
 * so clients that swap lookaside's host for ours (as 360dialog documents) keep it.
 */
const SIG_PARAM = 'openwaba_sig';
const SIGNED_TAIL = /[?&]openwaba_sig=([A-Za-z0-9_-]{32})$/;

function downloadSig(deps: Deps, channelId: string, pathAndQuery: string): string {
  const key = deps.config.secretKey;
  // A Meta channel exists only with OPENWABA_SECRET_KEY set (its token is sealed with it).
  if (!key) throw badAnswer('no OPENWABA_SECRET_KEY to sign the download URL with');
  // A key of its own, derived from the secret key (which seals the tokens).
  const derived = createHmac('sha256', key).update('openwaba meta-cdn-download v1').digest();
  return createHmac('sha256', derived).update(`${channelId}\u0000${pathAndQuery}`).digest('base64url').slice(0, 32);
}

/** GET /{media_id}: Meta's answer with its CDN's origin swapped for the public URL. */
export async function metaMediaInfo(api: MetaCloudApi, channel: ChannelRow, id: string): Promise<MetaMediaInfo> {
  const { cdn, ...info } = await describe(api, channel, id, cloudGetMiss);
  // The public URL may carry a path prefix (behind a reverse proxy): kept before Meta's path.
  return { ...info, url: `${api.deps.config.mediaUrlBase ?? api.deps.config.publicUrl}${signedDownloadPath(api.deps, channel.id, `${cdn.pathname}${cdn.search}`)}` };
}

/** openwaba's download URL for a URL on Meta's media CDN (its attachments path); undefined for any other URL. */
export function servedMediaUrl(deps: Deps, channelId: string, metaUrl: string): string | undefined {
  let u: URL;
  try {
    u = new URL(metaUrl);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  if (!u.pathname.startsWith('/whatsapp_business/attachments/') || u.username || u.password) return undefined;
  if (!deps.config.secretKey) return undefined;
  return `${deps.config.mediaUrlBase ?? deps.config.publicUrl}${signedDownloadPath(deps, channelId, `${u.pathname}${u.search}`)}`;
}

/** Meta's CDN path and query with the channel's openwaba_sig appended: the path of the download URL. */
export function signedDownloadPath(deps: Deps, channelId: string, pathAndQuery: string): string {
  return `${pathAndQuery}${pathAndQuery.includes('?') ? '&' : '?'}${SIG_PARAM}=${downloadSig(deps, channelId, pathAndQuery)}`;
}

/** DELETE /{media_id} (Cloud) or /v1/media/{id} (On-Premise: `miss` gives its 404). */
export async function deleteMetaMedia(api: MetaCloudApi, channel: ChannelRow, id: string, miss: MediaMiss = cloudDeleteMiss): Promise<{ success: boolean }> {
  if (!META_MEDIA_ID.test(id)) throw miss(id);
  const b = await api.json(channel, 'DELETE', (c) => withQuery(encodeURIComponent(id), { phone_number_id: c.phoneNumberId }));
  return { success: b.success !== false };
}

/**
 * The download URL's path and query at Meta's CDN, streamed to the client: only a URL this number
 * got from GET /{media_id} (its openwaba_sig checked and taken off); anything else is the 404 of
 * an expired URL, without a request to Meta.
 */
export async function sendMetaDownload(api: MetaCloudApi, channel: ChannelRow, reply: FastifyReply, signedPathAndQuery: string, mid: string | undefined) {
  const signed = SIGNED_TAIL.exec(signedPathAndQuery);
  const pathAndQuery = signed ? signedPathAndQuery.slice(0, signed.index) : '';
  const expected = signed ? Buffer.from(downloadSig(api.deps, channel.id, pathAndQuery)) : undefined;
  if (!signed || !expected || !timingSafeEqual(expected, Buffer.from(signed[1]!))) {
    throw downloadNotFound(mid ?? 'in this URL');
  }
  return send(reply, await api.download(channel, pathAndQuery, MAX_DOWNLOAD_BYTES));
}

/** On-Premise GET /v1/media/{id} of Meta's media: its URL from Meta, then its bytes from the CDN. */
export async function sendMetaMedia(api: MetaCloudApi, channel: ChannelRow, reply: FastifyReply, id: string) {
  const { cdn, mime_type } = await describe(api, channel, id, onPremMediaNotFound);
  const file = await api.download(channel, `${cdn.pathname}${cdn.search}`, MAX_DOWNLOAD_BYTES);
  // On-Premise clients save the file under the name the answer gives; the CDN may give none.
  // Meta gives a voice note's type with parameters (audio/ogg; codecs=opus): the extension is the bare type's.
  const bare = mime_type.split(';')[0]!.trim().toLowerCase();
  return send(reply, { ...file, contentDisposition: file.contentDisposition ?? contentDisposition(`${id}.${extensionOf(bare)}`) });
}

/**
 * The file as an attachment, never rendered: a user's HTML or SVG "document" served inline from
 * openwaba's origin would run there. The CDN's file name is kept; its type is not sniffed.
 */
function attachment(disposition: string | undefined): string {
  if (disposition !== undefined) {
    try {
      const name = contentDisposition.parse(disposition).parameters.filename;
      if (name) return contentDisposition(name, { type: 'attachment' });
    } catch {
      // Unparsable: no name kept.
    }
  }
  return 'attachment';
}

function send(reply: FastifyReply, file: MediaDownload) {
  reply
    .type(file.contentType ?? 'application/octet-stream')
    .header('cache-control', 'private, no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-disposition', attachment(file.contentDisposition));
  if (file.contentLength !== undefined) reply.header('content-length', String(file.contentLength));
  // HEAD: the headers only; the transfer from Meta stops here instead of being read and dropped.
  if (reply.request.method === 'HEAD') {
    file.body.destroy();
    // An empty stream, not nothing: Fastify would answer content-length 0 for an empty send.
    return reply.send(Readable.from([]));
  }
  return reply.send(file.body);
}

