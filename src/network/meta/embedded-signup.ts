// Meta's side of Embedded Signup (the onboarding pages are in web/onboarding/embedded-signup-*.ts):
// the short-lived code Facebook's login hands the browser is exchanged for the business's access
// token (`GET {graph}/{version}/oauth/access_token?client_id&client_secret&code`), and the number is
// registered for the Cloud API (`POST {phone_number_id}/register` with a two-step verification PIN
// openwaba derives from the number: pinFor). The rest (the number's facts, the WABA check, subscribed_apps, the sealed
// token) is the operator's attach (number-check.ts, channels.ts), reused as it is.
//
// Neither the token, the app secret, the code nor the PIN is ever part of an error made here: a
// refusal says what Meta said, with any of them cut out should Meta repeat one.
import { createHmac } from 'node:crypto';
import type { EmbeddedSignupConfig } from '../../config.ts';
import type { Executor } from '../../db/index.ts';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { withQuery } from './cloud-api.ts';
import { GraphClient } from './graph-client.ts';
import { metaCredentials, type MetaCredentialsInput } from './channels.ts';
import { ask } from './number-check.ts';
import { openSecret, sealSecret } from './secret-box.ts';

/** The code from FB.login's authResponse: printable ASCII without spaces (Meta's are a few hundred characters). */
export const ES_CODE = /^[\x21-\x7E]{8,4096}$/;

/** A refusal or failure of one Embedded Signup request, with Meta's reason; `unreachable` when Meta gave none. */
export class EmbeddedSignupError extends Error {
  constructor(
    message: string,
    readonly unreachable: boolean,
  ) {
    super(message);
  }
}

/** Runs one of `ask`'s requests and turns its ApiError into an EmbeddedSignupError without the secrets. */
async function meta<T>(secrets: string[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    let message = err.message;
    for (const s of secrets) if (s.length >= 6) message = message.split(s).join('[secret]');
    throw new EmbeddedSignupError(message, err.status >= 500);
  }
}

/**
 * The business's access token for this code. A code works once, for a short time: a second
 * exchange, a stale or foreign code is Meta's refusal (the page asks to connect again).
 */
export async function exchangeCode(deps: Deps, es: EmbeddedSignupConfig, code: string): Promise<string> {
  const secret = deps.config.metaAppSecret;
  if (!secret) throw new EmbeddedSignupError('OPENWABA_META_APP_SECRET is not set', false);
  const graph = new GraphClient(deps.config);
  try {
    // Authorised as the app itself (an app access token, `{app id}|{app secret}`), as the
    // documented query's client_id and client_secret also say.
    const b = await meta([secret, code], () =>
      ask(graph, 'GET', withQuery('oauth/access_token', { client_id: es.appId, client_secret: secret, code }), `${es.appId}|${secret}`, 'for an access token', 'Meta refused the code from Facebook'),
    );
    const token = b.access_token;
    if (typeof token !== 'string' || !/^[\x21-\x7E]{16,2048}$/.test(token)) {
      throw new EmbeddedSignupError('Meta answered the code exchange without a usable access token', true);
    }
    return token;
  } finally {
    await graph.close();
  }
}

/**
 * Registers the number for the Cloud API with this PIN (which becomes its two-step verification
 * PIN). Meta answers `{success: true}`; a number already registered with the same PIN registers
 * again without harm, one with another PIN is refused (Meta's reason is passed on).
 */
export async function registerNumber(deps: Deps, input: MetaCredentialsInput, pin: string): Promise<void> {
  if (!/^\d{6}$/.test(pin)) throw new Error('a two-step verification PIN is 6 digits');
  const graph = new GraphClient(deps.config);
  try {
    const b = await meta([input.accessToken, pin], () =>
      ask(
        graph,
        'POST',
        `${input.phoneNumberId}/register`,
        input.accessToken,
        `to register phone number ${input.phoneNumberId}`,
        `Meta refused to register phone number ${input.phoneNumberId} for the Cloud API`,
        { json: { messaging_product: 'whatsapp', pin } },
      ),
    );
    if (b.success !== true) throw new EmbeddedSignupError(`Meta did not confirm the registration of phone number ${input.phoneNumberId}`, true);
  } finally {
    await graph.close();
  }
}

/**
 * The two-step verification PIN openwaba registers a Meta number with: a function of the number
 * (its phone_number_id) under OPENWABA_SECRET_KEY, so that every attempt for one number uses the same
 * PIN. A registration can take effect at Meta while its answer is lost (a timeout): the next attempt,
 * in this session or another, must repeat that PIN, or Meta refuses the number for good (133005,
 * "PIN Mismatch") and nobody knows the PIN it has. A random PIN kept only in the session could not
 * be repeated once the session moved on; this one needs nothing kept.
 *
 * HMAC-SHA256 keyed with the secret key over a domain-separated message (no other use of the key
 * signs a message starting so), then the first 8 bytes as an unsigned 64-bit integer mod 10^6. The
 * modulo's bias is negligible: 2^64 = 18446744073709 * 10^6 + 551616, so the 551616 smallest PINs
 * have 18446744073710 preimages and the others 18446744073709, a relative difference of 5.4e-14.
 * (4 bytes mod 10^6 would favour the smallest PINs by 1 in 4294; 8 bytes need no rejection loop.)
 *
 * After a rotation of the secret key this gives another PIN: what a number was registered with
 * is therefore also kept with its channel (meta_channels.pin_sealed), sealed under the key of the
 * time. The PIN appears in no error, page or log line.
 */
export function pinFor(key: Buffer, phoneNumberId: string): string {
  const mac = createHmac('sha256', key).update(`openwaba two-step pin v1:${phoneNumberId}`).digest();
  return String(mac.readBigUInt64BE(0) % 1_000_000n).padStart(6, '0');
}

/** The PIN sealed for the channel's meta_channels row (a binding of its own: the token's seal does not open as a PIN). */
export function sealPin(key: Buffer, pin: string, channelId: string): string {
  return sealSecret(key, pin, `pin:${channelId}`);
}

export function openPin(key: Buffer, sealed: string, channelId: string): string {
  return openSecret(key, sealed, `pin:${channelId}`);
}

/** Stores the sealed PIN on a channel's meta_channels row (in the caller's transaction). */
export async function storePin(deps: Deps, tx: Executor, channelId: string, pin: string): Promise<void> {
  const key = deps.config.secretKey;
  if (!key) throw new ApiError(409, 'OPENWABA_SECRET_KEY is not set');
  await tx.updateTable('meta_channels').set({ pin_sealed: sealPin(key, pin, channelId) }).where('channel_id', '=', channelId).execute();
}

export interface NumberHolder {
  channelId: string;
  partnerId: string;
  terminated: boolean;
}

/** The channel a Meta phone_number_id is attached to, if any (meta_channels.phone_number_id is unique). */
export async function metaNumberHolder(deps: Deps, phoneNumberId: string, ex: Executor = deps.db.kysely): Promise<NumberHolder | undefined> {
  const row = await ex
    .selectFrom('meta_channels')
    .innerJoin('channels', 'channels.id', 'meta_channels.channel_id')
    .select(['channels.id as id', 'channels.partner_id as partner_id', 'channels.terminated_at as terminated_at'])
    .where('meta_channels.phone_number_id', '=', phoneNumberId)
    .executeTakeFirst();
  return row ? { channelId: row.id, partnerId: row.partner_id, terminated: row.terminated_at !== null } : undefined;
}

/**
 * Registers a channel's number again with the PIN openwaba registered it with (Meta asks for it
 * after a deregistration, a display-name change or a migration): the kept, sealed PIN, whose owner
 * could not type it (it was never shown). Only numbers connected with Embedded Signup have one.
 */
export async function registerAgain(deps: Deps, channelId: string): Promise<void> {
  const key = deps.config.secretKey;
  if (!key) throw new ApiError(409, 'OPENWABA_SECRET_KEY is not set: no kept PIN can be opened');
  const row = await deps.db.kysely.selectFrom('meta_channels').select(['pin_sealed']).where('channel_id', '=', channelId).executeTakeFirst();
  if (!row) throw new ApiError(409, `Channel ${channelId} is not on Meta's network`);
  if (!row.pin_sealed) throw new ApiError(409, `No two-step verification PIN is kept for channel ${channelId}: it was attached by the operator, whose number has its own PIN (register it at Meta with that PIN)`);
  const creds = await metaCredentials(deps, channelId);
  if (!creds) throw new ApiError(409, `Channel ${channelId} is not on Meta's network`);
  let pin: string;
  try {
    pin = openPin(key, row.pin_sealed, channelId);
  } catch {
    throw new ApiError(409, `The kept PIN of channel ${channelId} does not open with this OPENWABA_SECRET_KEY`);
  }
  try {
    await registerNumber(deps, creds, pin);
  } catch (err) {
    if (err instanceof EmbeddedSignupError) throw new ApiError(err.unreachable ? 502 : 400, err.message);
    throw err;
  }
}
