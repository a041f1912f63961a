// The download URL answered by GET /{media_id}: like Meta's lookaside URL with 360dialog's host
// swap, `<public url>/whatsapp_business/attachments/?mid=<id>&ext=<expiry>&hash=<signature>`.
// It is valid for five minutes (as Meta's) and still needs the channel's D360-API-KEY.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Deps } from '../../deps.ts';
import { metaError } from '../errors.ts';
import type { MediaRow } from './store.ts';

export const URL_TTL_SECONDS = 300;
export const ATTACHMENTS_PATH = '/whatsapp_business/attachments/';

// The storage key holds a random part that never leaves the server, so it serves as the key.
const sign = (row: Pick<MediaRow, 'id' | 'storage_key'>, ext: string) =>
  createHmac('sha256', row.storage_key).update(`${row.id}.${ext}`).digest('base64url').slice(0, 32);

/**
 * An inbound media webhook's `url` (Meta's webhook reference has one on image, video, audio,
 * document and sticker): the same URL, but valid as long as a webhook may still be retried
 * (OPENWABA_WEBHOOK_RETRY_HORIZON is at most 7 days), so that a late delivery carries a working
 * link; the media's own expiry still applies. Meta does not document how long its webhook URL lives.
 */
export const WEBHOOK_URL_TTL_SECONDS = 7 * 24 * 3600;

export function downloadUrl(deps: Deps, row: MediaRow, ttlSeconds = URL_TTL_SECONDS): string {
  const ext = String(Math.floor(deps.clock.now().getTime() / 1000) + ttlSeconds);
  // Relative to the base (the public URL unless OPENWABA_MEDIA_URL_BASE says otherwise), so that a path prefix in it is kept.
  const url = new URL(ATTACHMENTS_PATH.slice(1), (deps.config.mediaUrlBase ?? deps.config.publicUrl) + '/');
  url.searchParams.set('mid', row.id);
  url.searchParams.set('ext', ext);
  url.searchParams.set('hash', sign(row, ext));
  return url.toString();
}

/** Checks a download URL's signature and expiry; a 404 in Meta's words when it does not hold. */
export function verifyDownload(deps: Deps, row: MediaRow, ext: string, hash: string): void {
  const expected = Buffer.from(sign(row, ext));
  const given = Buffer.from(hash);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw metaError(404, 100, 'Invalid parameter', 'hash: this download URL is not valid; get a new one with GET /{media_id}');
  }
  if (Number(ext) * 1000 <= deps.clock.now().getTime()) {
    throw metaError(404, 100, 'Invalid parameter', 'ext: this download URL has expired (URLs are valid for 5 minutes); get a new one with GET /{media_id}');
  }
}
