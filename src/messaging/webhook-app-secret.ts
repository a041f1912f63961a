// A number's webhook app secret: opt-in, Meta-style signing of the number's webhooks.
//
// 360dialog sends a number's webhooks unsigned (custom headers such as Authorization authenticate
// them), and so does openwaba by default. Clients written for Meta's Cloud API verify Meta's
// signature on every webhook instead — `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
// body, keyed with the app secret>` (pywa with app_secret, n8n's WhatsApp trigger,
// whatsapp-api-js's post() in its default secure mode) — and refuse every unsigned one. With an app
// secret set here, every delivery of the number's events (its own URL, its WABA's override URL,
// its extra webhook destinations) carries that header (webhooks/deliver.ts, hub-signature.ts).
//
//   PUT    /configs/app_secret  {"app_secret":"…"}  → {"success":true}       (e.g. the Meta app's own secret)
//   POST   /configs/app_secret  (no body)           → {"app_secret":"<64 hex>"}, shown this once
//   GET    /configs/app_secret                      → {"enabled":true|false,"modified_at":"…"|null}
//   DELETE /configs/app_secret                      → {"success":true}: unsigned again
// (also under /v1/configs/…, in the On-Premise error format). An extension of ours: neither
// 360dialog nor Meta has such an endpoint (Meta keeps the app secret in its App Dashboard).
//
// The secret is stored as it is (it must be held to sign with, as partners.webhook_secret is)
// and never answered again. The deliveries read it when they are made, so a changed secret
// applies to retries still pending.
import { randomBytes } from 'node:crypto';
import type { Deps } from '../deps.ts';
import { isoNow } from '../clock.ts';
import { invalidParameter } from './errors.ts';

export const MIN_APP_SECRET = 8;
export const MAX_APP_SECRET = 256;
/** Visible ASCII, no space: a space is most often a copy-paste accident, and would sign nothing anyone can reproduce. */
const APP_SECRET = /^[\x21-\x7e]+$/;

export interface AppSecretStatus {
  enabled: boolean;
  /** When the secret in use was set, ISO-8601 UTC; null when none is. */
  modified_at: string | null;
}

/**
 * The body of PUT …/app_secret: `{"app_secret":"…"}`, 8 to 256 visible ASCII characters, no
 * other field. The messages never repeat the value given (it may be a real secret).
 */
export function parseAppSecretBody(body: unknown): string {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidParameter('The body must be a JSON object {"app_secret":"…"}; to have a secret generated, POST without a body');
  }
  const extra = Object.keys(body).filter((k) => k !== 'app_secret');
  if (extra.length) throw invalidParameter(`Unknown field "${extra[0]!.slice(0, 50)}": the body is {"app_secret":"…"}`);
  const v = (body as { app_secret?: unknown }).app_secret;
  if (v === undefined) throw invalidParameter('app_secret is required');
  if (typeof v !== 'string') throw invalidParameter('app_secret must be a string');
  if (v.length < MIN_APP_SECRET || v.length > MAX_APP_SECRET) throw invalidParameter(`app_secret must be ${MIN_APP_SECRET} to ${MAX_APP_SECRET} characters long, got ${v.length}`);
  if (!APP_SECRET.test(v)) throw invalidParameter('app_secret must contain only printable ASCII characters, without spaces (such as the hexadecimal app secret of a Meta app)');
  return v;
}

/** Whether a body is none at all (or an empty JSON object, which clients send for "no parameters"). */
const isNoBody = (body: unknown) => body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);

/** The body of POST …/app_secret: none (or {}); a secret given there is refused, not ignored. */
export function checkGenerateBody(body: unknown): void {
  if (!isNoBody(body)) throw invalidParameter('POST generates a new app secret and takes no body; to set your own, PUT {"app_secret":"…"}');
}

/** The body of DELETE …/app_secret: none (or {}). */
export function checkDeleteBody(body: unknown): void {
  if (!isNoBody(body)) throw invalidParameter('DELETE removes the app secret and takes no body');
}

export async function appSecretStatus(deps: Deps, channelId: string): Promise<AppSecretStatus> {
  const row = await deps.db.kysely.selectFrom('channel_webhook_app_secrets').select('modified_at').where('channel_id', '=', channelId).executeTakeFirst();
  return { enabled: row !== undefined, modified_at: row?.modified_at ?? null };
}

export async function setAppSecret(deps: Deps, channelId: string, appSecret: string): Promise<void> {
  const now = isoNow(deps.clock);
  await deps.db.kysely
    .insertInto('channel_webhook_app_secrets')
    .values({ channel_id: channelId, app_secret: appSecret, modified_at: now })
    .onConflict((oc) => oc.column('channel_id').doUpdateSet({ app_secret: appSecret, modified_at: now }))
    .execute();
}

/** A new random secret (32 bytes, hex: the form of a Meta app secret, twice as long), set and returned once. */
export async function generateAppSecret(deps: Deps, channelId: string): Promise<string> {
  const secret = randomBytes(32).toString('hex');
  await setAppSecret(deps, channelId, secret);
  return secret;
}

export async function deleteAppSecret(deps: Deps, channelId: string): Promise<void> {
  await deps.db.kysely.deleteFrom('channel_webhook_app_secrets').where('channel_id', '=', channelId).execute();
}
