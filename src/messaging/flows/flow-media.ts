// Files a simulated user picked in a Flow (PhotoPicker, DocumentPicker) as WhatsApp hands them to
// the business (Meta's "Media upload components", section "Handling media"). The bytes are media of
// the number that sent the flow (messaging/media/store.ts), so GET /{media_id} with the number's
// D360-API-KEY gives them like any upload. Two shapes, as Meta documents them:
//
//   data_exchange (to the endpoint): [{"media_id","cdn_url","file_name","encryption_metadata":
//       {"encrypted_hash","iv","encryption_key","hmac_key","plaintext_hash"}}], every key and hash
//       base64. cdn_url downloads the encrypted file, `cdn_file = ciphertext || hmac10`:
//       AES-256-CBC with PKCS7 padding under encryption_key and iv, then the first 10 bytes of
//       HMAC-SHA256(hmac_key, iv || ciphertext); encrypted_hash = SHA-256(cdn_file), plaintext_hash
//       = SHA-256(the file). Meta's media_id there is a UUID of its CDN; the sandbox gives the
//       number's media id (an opaque string either way), so the same id also works with GET /{media_id}.
//   complete (the nfm_reply's response_json): [{"file_name","mime_type","sha256","id"}], id a Cloud
//       API media id and sha256 base64, as Meta's response-message example shows. (Meta's docs give
//       the complete path this shape, not the endpoint's: a business downloads those files with
//       GET /{media_id} like any inbound media.)
//
// The keys: Meta makes fresh ones per upload. The sandbox derives them from the file's storage key
// (a per-file secret that never leaves the server), so the CDN download can encrypt the stored file
// as it streams, with no second copy and nothing more to keep. The CDN URL is signed the same way:
// it needs no API key, as Meta's needs none (the content is encrypted).
import { createCipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Deps } from '../../deps.ts';
import { filePath, type MediaRow } from '../media/store.ts';

/** How many bytes of the HMAC end the CDN file (Meta: hmac10). */
export const HMAC_BYTES = 10;
export const FLOW_MEDIA_PATH = '/sandbox/phone/flow-media';

/** A picked file as the flow's state keeps it (shown on the screen; checked against the store before anything is sent). */
export interface PickedFile {
  id: string;
  name: string;
  size: number;
  type: string;
}

export const isPickedFile = (v: unknown): v is PickedFile => {
  const x = v as PickedFile;
  return v !== null && typeof v === 'object' && typeof x.id === 'string' && /^\d{1,32}$/.test(x.id) && typeof x.name === 'string' && typeof x.size === 'number' && typeof x.type === 'string';
};

export interface FlowMediaKeys {
  encryptionKey: Buffer;
  hmacKey: Buffer;
  iv: Buffer;
}

type Row = Pick<MediaRow, 'id' | 'storage_key' | 'channel_id'>;

export function flowMediaKeys(row: Row): FlowMediaKeys {
  const derive = (label: string) => createHmac('sha256', row.storage_key).update(`flow-media:${label}:${row.id}`).digest();
  return { encryptionKey: derive('aes'), hmacKey: derive('hmac'), iv: derive('iv').subarray(0, 16) };
}

/** The size of the CDN file of a file of `size` bytes (PKCS7 always pads, then 10 HMAC bytes). */
export const encryptedSize = (size: number) => (Math.floor(size / 16) + 1) * 16 + HMAC_BYTES;

/** The CDN file, chunk by chunk, read from the stored file as it goes. */
export async function* encryptedChunks(deps: Deps, row: Row): AsyncGenerator<Buffer> {
  const keys = flowMediaKeys(row);
  const cipher = createCipheriv('aes-256-cbc', keys.encryptionKey, keys.iv);
  const mac = createHmac('sha256', keys.hmacKey).update(keys.iv);
  for await (const chunk of createReadStream(filePath(deps, row.storage_key)) as AsyncIterable<Buffer>) {
    const out = cipher.update(chunk);
    if (out.length > 0) {
      mac.update(out);
      yield out;
    }
  }
  const last = cipher.final();
  mac.update(last);
  yield last;
  yield mac.digest().subarray(0, HMAC_BYTES);
}

const sign = (row: Row) => createHmac('sha256', row.storage_key).update(`flow-cdn.${row.id}`).digest('base64url').slice(0, 32);

export function cdnUrl(deps: Deps, row: Row): string {
  const url = new URL(`${FLOW_MEDIA_PATH.slice(1)}/${encodeURIComponent(row.channel_id)}/${row.id}`, `${deps.config.publicUrl}/`);
  url.searchParams.set('hash', sign(row));
  return url.toString();
}

export function cdnHashValid(row: Row, hash: unknown): boolean {
  if (typeof hash !== 'string') return false;
  const expected = Buffer.from(sign(row));
  const given = Buffer.from(hash);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The file as the endpoint gets it (data_exchange). Reads the file once, to hash its encrypted form. */
export async function endpointMedia(deps: Deps, row: MediaRow): Promise<Record<string, unknown>> {
  const keys = flowMediaKeys(row);
  const hash = createHash('sha256');
  for await (const chunk of encryptedChunks(deps, row)) hash.update(chunk);
  return {
    media_id: row.id,
    cdn_url: cdnUrl(deps, row),
    file_name: row.filename ?? row.id,
    encryption_metadata: {
      encrypted_hash: hash.digest('base64'),
      iv: keys.iv.toString('base64'),
      encryption_key: keys.encryptionKey.toString('base64'),
      hmac_key: keys.hmacKey.toString('base64'),
      plaintext_hash: Buffer.from(row.sha256, 'hex').toString('base64'),
    },
  };
}

/** The file as the nfm_reply's response_json carries it (complete). */
export function responseMedia(row: MediaRow): Record<string, unknown> {
  return { file_name: row.filename ?? row.id, mime_type: row.mime_type, sha256: Buffer.from(row.sha256, 'hex').toString('base64'), id: row.id };
}
