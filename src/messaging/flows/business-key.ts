// A number's business public key (POST/GET /whatsapp_business_encryption). WhatsApp encrypts
// what a Flow sends to the business's endpoint with it, so Meta refuses to publish a flow that
// uses an endpoint while no number of its WABA has one (139002 "Missing Flows Signed Public
// Key"). Meta wants a 2048-bit RSA public key in PEM; a private key is refused rather than kept
// (it would be stored and shown back), and so is a certificate.
import { createPublicKey } from 'node:crypto';
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { invalidParameter } from '../errors.ts';

/** A 4096-bit key in PEM is about 800 characters; a few KB leave room for line endings and text around it. */
export const MAX_PUBLIC_KEY_CHARS = 8 * 1024;
const MIN_RSA_BITS = 2048;
const PEM = /^-----BEGIN (RSA )?PUBLIC KEY-----\n[\s\S]+\n-----END \1PUBLIC KEY-----$/;

/** The key as it will be kept and shown: a PEM public key, checked by node:crypto. */
export function parseBusinessPublicKey(v: unknown): string {
  const field = 'business_public_key';
  if (v === undefined || v === null || v === '') throw invalidParameter(`${field}: is required (the PEM of a ${MIN_RSA_BITS}-bit RSA public key)`);
  if (typeof v !== 'string') throw invalidParameter(`${field}: must be a string (the PEM of a ${MIN_RSA_BITS}-bit RSA public key)`);
  if (v.length > MAX_PUBLIC_KEY_CHARS) throw invalidParameter(`${field}: must be at most ${MAX_PUBLIC_KEY_CHARS} characters`);
  // Line breaks as LF: a multipart form field carries CRLF (browsers and fetch normalize to it),
  // and the key read back should not depend on how it was sent.
  let pem = v.trim().replace(/\r\n?/g, '\n');
  // A PEM pasted into a JSON string twice escaped arrives with literal "\n": read it as the line breaks meant.
  if (!pem.includes('\n') && pem.includes('\\n')) pem = pem.replace(/\\r\\n|\\n/g, '\n');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw invalidParameter(`${field}: this is a private key; upload the public key only (openssl rsa -in private.pem -pubout)`);
  if (!PEM.test(pem)) throw invalidParameter(`${field}: must be a PEM public key, from "-----BEGIN PUBLIC KEY-----" to "-----END PUBLIC KEY-----"`);
  let key;
  try {
    key = createPublicKey(pem);
  } catch {
    throw invalidParameter(`${field}: is not a readable public key (the PEM's base64 body is damaged or not a key)`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || bits === undefined) throw invalidParameter(`${field}: must be an RSA key (got ${key.asymmetricKeyType ?? 'an unknown type'})`);
  if (bits < MIN_RSA_BITS) throw invalidParameter(`${field}: must be an RSA key of at least ${MIN_RSA_BITS} bits (got ${bits})`);
  return pem;
}

export async function saveBusinessPublicKey(deps: Deps, channel: Pick<ChannelRow, 'id' | 'partner_id'>, pem: string): Promise<void> {
  const now = deps.clock.now().toISOString();
  await deps.db.kysely
    .insertInto('business_public_keys')
    .values({ channel_id: channel.id, partner_id: channel.partner_id, public_key: pem, created_at: now, modified_at: now })
    .onConflict((oc) => oc.column('channel_id').doUpdateSet({ public_key: pem, modified_at: now }))
    .execute();
}

export async function businessPublicKey(deps: Deps, channelId: string): Promise<string | undefined> {
  const row = await deps.db.kysely.selectFrom('business_public_keys').select('public_key').where('channel_id', '=', channelId).executeTakeFirst();
  return row?.public_key;
}

/** Whether any number of the WABA has a business public key (what publishing an endpoint flow needs). */
export async function wabaHasBusinessKey(deps: Deps, wabaAccountId: string): Promise<boolean> {
  const row = await deps.db.kysely
    .selectFrom('business_public_keys')
    .innerJoin('channels', 'channels.id', 'business_public_keys.channel_id')
    .select('business_public_keys.channel_id')
    .where('channels.waba_account_id', '=', wabaAccountId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * A number of the WABA that has a business public key (the earliest set): the one whose key a
 * health check of the WABA's flow encrypts its ping for.
 */
export async function wabaNumberWithBusinessKey(deps: Deps, wabaAccountId: string): Promise<{ id: string; phone_number: string } | undefined> {
  return deps.db.kysely
    .selectFrom('business_public_keys')
    .innerJoin('channels', 'channels.id', 'business_public_keys.channel_id')
    .select(['channels.id as id', 'channels.phone_number as phone_number'])
    .where('channels.waba_account_id', '=', wabaAccountId)
    .orderBy('business_public_keys.created_at')
    .orderBy('channels.id')
    .limit(1)
    .executeTakeFirst();
}
