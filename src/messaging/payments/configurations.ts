// A WABA's payment configurations for Meta's Payments API India (Meta's "Onboarding APIs" page,
// payments-in/onboarding-apis): the name an order_details message gives as payment_configuration,
// bound to a payment gateway (razorpay, payu, zaakpay, billdesk) or to a UPI handle (upi_vpa).
//
// Meta's rules, as documented:
// - configuration_name is unique within the WABA; provider_name is required, one of upi_vpa,
//   razorpay, payu, zaakpay (billdesk is named by the payment_configuration_update webhook
//   reference, so it is taken too); a upi_vpa configuration carries merchant_vpa.
// - A gateway configuration answers {oauth_url, expiration, success:true}: the merchant opens the
//   link to connect the gateway account; until then the configuration is Needs_Connecting. A
//   UPI configuration answers {success:true}.
// - Statuses: Active, Needs_Connecting, Needs_Testing. Meta's Needs_Testing (connected, still to be
//   tested in WhatsApp Manager) has no counterpart here: the sandbox has no WhatsApp Manager, so
//   opening the link makes the configuration Active (our choice).
// - A status change is the WABA webhook payment_configuration_update {configuration_name,
//   provider_name, provider_mid, status, created_timestamp, updated_timestamp}.
//
// The sandbox's OAuth link is openwaba's own page (GET /sandbox/v1/payment_configuration_oauth?token=…,
// routes/payment-configurations.ts): a random single-use token bound to one configuration, kept as
// its SHA-256 only, valid for OAUTH_LINK_TTL_MS (Meta documents an `expiration` timestamp but not
// its length: one hour is our choice). A newer link replaces the older one.
//
// What Meta leaves open, chosen here (each a choice most clients accept):
// - configuration_name: 1 to 60 of A-Z a-z 0-9 _ - (it travels in a URL path).
// - merchant_category_code: 4 digits; purpose_code: 2 digits. Meta's create table marks both
//   optional but its GET marks them required and documents no default, so both are required here.
//   Their descriptions are the names of the few codes known below, else a plain "… <code>".
// - An unknown configuration_name is Graph's code 100 (400) naming the parameter.
// - redirect_url: an http(s) URL; merchant_vpa: a UPI handle (`name@bank`).
import type { Deps } from '../../deps.ts';
import type { Executor } from '../../db/index.ts';
import type { WabaPaymentConfigurationsTable } from '../../db/schema.ts';
import { hashSecret, newSecret } from '../../crypto.ts';
import { base62 } from '../../ids.ts';
import { metaError } from '../errors.ts';
import { emitChannelEvent } from '../channel-webhook.ts';
import { wabaChangeWebhook } from '../webhook-payloads.ts';
import { CHANNEL_WEBHOOK_URL } from '../status-facts.ts';
import { fail, str, type Obj } from '../validate/check.ts';

export type PaymentConfigurationRow = WabaPaymentConfigurationsTable;

export const GATEWAY_PROVIDERS = ['razorpay', 'payu', 'zaakpay', 'billdesk'] as const;
export const UPI_PROVIDER = 'upi_vpa';
const PROVIDERS: readonly string[] = [UPI_PROVIDER, ...GATEWAY_PROVIDERS];

/** How long a sandbox OAuth link may be opened (our choice: Meta documents an expiration, not its length). */
export const OAUTH_LINK_TTL_MS = 60 * 60 * 1000;
/** The sandbox's OAuth page, under the app's public URL. */
export const OAUTH_PAGE_PATH = '/sandbox/v1/payment_configuration_oauth';
/** The most configurations a sandbox WABA keeps (our limit, so that a WABA's list stays one page). */
export const MAX_CONFIGURATIONS = 100;

const NAME = /^[A-Za-z0-9_-]{1,60}$/;
const MCC = /^\d{4}$/;
const PURPOSE = /^\d{2}$/;
const VPA = /^[A-Za-z0-9._-]{2,256}@[A-Za-z0-9.-]{2,64}$/;

/** Descriptions of a few merchant category codes (ISO 18245); others are described by their code. */
const MCC_NAMES: Record<string, string> = {
  '0000': 'Test MCC Code',
  '4121': 'Taxicabs and Limousines',
  '4900': 'Utilities',
  '5311': 'Department Stores',
  '5411': 'Grocery Stores, Supermarkets',
  '5691': "Men's and Women's Clothing Stores",
  '5732': 'Electronics Stores',
  '5812': 'Eating Places, Restaurants',
  '5912': 'Drug Stores and Pharmacies',
  '5999': 'Miscellaneous and Specialty Retail Stores',
  '7399': 'Business Services',
  '8062': 'Hospitals',
  '8299': 'Schools and Educational Services',
};
const PURPOSE_NAMES: Record<string, string> = { '00': 'Default' };

// ---- parameters -----------------------------------------------------------------------------

function code(v: unknown, field: string, re: RegExp, rule: string): string {
  if (Array.isArray(v)) throw fail(field, 'must be given once');
  const s = typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : str(v, field, { max: 16 }).trim();
  if (!re.test(s)) throw fail(field, rule);
  return s;
}

/** configuration_name: required, once, Meta's name of the configuration. */
export function parseConfigurationName(v: unknown, field = 'configuration_name'): string {
  if (Array.isArray(v)) throw fail(field, 'must be given once');
  const s = str(v, field, { max: 60 });
  if (!NAME.test(s)) throw fail(field, 'must be 1 to 60 letters, digits, "_" or "-", such as "razorpay-prod"');
  return s;
}

function optUrl(v: unknown, field: string, opts: { httpsOnly?: boolean } = {}): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw fail(field, 'must be given once');
  const s = str(v, field, { max: 2048 }).trim();
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw fail(field, 'must be an absolute URL, such as "https://example.com/payments/linked"');
  }
  const ok = opts.httpsOnly ? u.protocol === 'https:' : u.protocol === 'https:' || u.protocol === 'http:';
  if (!ok || !u.hostname) throw fail(field, opts.httpsOnly ? 'must be an https URL' : 'must be an http or https URL');
  // As the URL parser writes it (non-ASCII percent-encoded): it goes into a Location header later.
  return u.href;
}

export interface NewConfiguration {
  configuration_name: string;
  provider_name: string;
  merchant_vpa: string | null;
  purpose_code: string;
  merchant_category_code: string;
  redirect_url: string | null;
}

/**
 * POST /payment_configuration's parameters. provider_name is taken in any letter case (Meta's own
 * answers write "RazorPay"); left out with a merchant_vpa given, it is upi_vpa (our leniency).
 */
export function parseNewConfiguration(p: Obj): NewConfiguration {
  const configuration_name = parseConfigurationName(p.configuration_name);
  const merchant_category_code = code(p.merchant_category_code, 'merchant_category_code', MCC, 'must be a 4-digit merchant category code, such as "5411"');
  const purpose_code = code(p.purpose_code, 'purpose_code', PURPOSE, 'must be a 2-digit purpose code, such as "00"');
  let provider: string;
  if (p.provider_name === undefined && p.merchant_vpa !== undefined) provider = UPI_PROVIDER;
  else {
    if (Array.isArray(p.provider_name)) throw fail('provider_name', 'must be given once');
    provider = str(p.provider_name, 'provider_name', { max: 32 }).trim().toLowerCase();
    if (!PROVIDERS.includes(provider)) throw fail('provider_name', `must be one of ${PROVIDERS.join(', ')}`);
  }
  if (provider === UPI_PROVIDER) {
    if (Array.isArray(p.merchant_vpa)) throw fail('merchant_vpa', 'must be given once');
    const vpa = str(p.merchant_vpa, 'merchant_vpa', { max: 321 }).trim();
    if (!VPA.test(vpa)) throw fail('merchant_vpa', 'must be a UPI handle, such as "merchant@okbank"');
    // redirect_url belongs to the OAuth link of a gateway: a UPI configuration has none (ignored).
    return { configuration_name, provider_name: provider, merchant_vpa: vpa, purpose_code, merchant_category_code, redirect_url: null };
  }
  if (p.merchant_vpa !== undefined) throw fail('merchant_vpa', `is only for provider_name ${UPI_PROVIDER}: a ${provider} configuration is linked by its OAuth link`);
  return { configuration_name, provider_name: provider, merchant_vpa: null, purpose_code, merchant_category_code, redirect_url: optUrl(p.redirect_url, 'redirect_url') ?? null };
}

/** POST /payment_configuration/{name}: data_endpoint_url, an https URL, or "" / null to remove it. */
export function parseConfigurationUpdate(p: Obj): { data_endpoint_url: string | null } {
  const v = p.data_endpoint_url;
  if (v === undefined) throw fail('data_endpoint_url', 'is required (an https URL, or "" to remove the data endpoint)');
  if (v === null || v === '') return { data_endpoint_url: null };
  return { data_endpoint_url: optUrl(v, 'data_endpoint_url', { httpsOnly: true })! };
}

/** POST /generate_payment_configuration_oauth_link: configuration_name, redirect_url (optional). */
export function parseOauthLinkRequest(p: Obj): { configuration_name: string; redirect_url: string | undefined } {
  return { configuration_name: parseConfigurationName(p.configuration_name), redirect_url: optUrl(p.redirect_url, 'redirect_url') };
}

/** DELETE /payment_configuration: configuration_name. */
export function parseConfigurationRemoval(p: Obj): { configuration_name: string } {
  return { configuration_name: parseConfigurationName(p.configuration_name) };
}

// ---- the wire ---------------------------------------------------------------------------------

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** A configuration as Meta's GET shows it; fields without a value are left out, as Graph does. */
export function configurationToWire(r: PaymentConfigurationRow): Record<string, unknown> {
  const out: Record<string, unknown> = {
    configuration_name: r.configuration_name,
    merchant_category_code: { code: r.merchant_category_code, description: MCC_NAMES[r.merchant_category_code] ?? `Merchant category code ${r.merchant_category_code}` },
    purpose_code: { code: r.purpose_code, description: PURPOSE_NAMES[r.purpose_code] ?? `Purpose code ${r.purpose_code}` },
    status: r.status,
  };
  if (r.provider_mid) out.provider_mid = r.provider_mid;
  out.provider_name = r.provider_name;
  if (r.merchant_vpa) out.merchant_vpa = r.merchant_vpa;
  // Not in Meta's field table: shown once set, so that a client can read back what it linked (our choice).
  if (r.data_endpoint_url) out.data_endpoint_url = r.data_endpoint_url;
  out.created_timestamp = seconds(r.created_at);
  out.updated_timestamp = seconds(r.updated_at);
  return out;
}

/** Meta's WABA webhook payment_configuration_update. */
export function configurationUpdateWebhook(wabaExternalId: string, r: PaymentConfigurationRow, at: Date) {
  const value = {
    configuration_name: r.configuration_name,
    provider_name: r.provider_name,
    provider_mid: r.provider_mid ?? '',
    status: r.status,
    created_timestamp: seconds(r.created_at),
    updated_timestamp: seconds(r.updated_at),
  };
  return wabaChangeWebhook(wabaExternalId, { field: 'payment_configuration_update', value }, Math.floor(at.getTime() / 1000));
}

// ---- the store --------------------------------------------------------------------------------

const unknownConfiguration = (name: string) =>
  fail('configuration_name', `no payment configuration named ${JSON.stringify(name)} exists on this WhatsApp Business Account (it does not exist, or was removed)`);

export async function listConfigurations(deps: Deps, wabaAccountId: string): Promise<PaymentConfigurationRow[]> {
  return deps.db.kysely.selectFrom('waba_payment_configurations').selectAll().where('waba_account_id', '=', wabaAccountId).orderBy('created_at').orderBy('configuration_name').execute();
}

async function find(db: Executor, wabaAccountId: string, name: string): Promise<PaymentConfigurationRow | undefined> {
  return db.selectFrom('waba_payment_configurations').selectAll().where('waba_account_id', '=', wabaAccountId).where('configuration_name', '=', name).executeTakeFirst();
}

/** The WABA's configuration of that name, or Graph's code 100 naming configuration_name. */
export async function getConfiguration(deps: Deps, wabaAccountId: string, name: string): Promise<PaymentConfigurationRow> {
  const row = await find(deps.db.kysely, wabaAccountId, name);
  if (!row) throw unknownConfiguration(name);
  return row;
}

/**
 * For other modules (order_details messages): the WABA's configuration of that name with its
 * status, or undefined when the WABA has none so named.
 */
export async function paymentConfiguration(deps: Pick<Deps, 'db'>, wabaAccountId: string, name: string): Promise<{ configuration_name: string; status: string } | undefined> {
  const row = await deps.db.kysely
    .selectFrom('waba_payment_configurations')
    .select(['configuration_name', 'status'])
    .where('waba_account_id', '=', wabaAccountId)
    .where('configuration_name', '=', name)
    .executeTakeFirst();
  return row ? { configuration_name: row.configuration_name, status: row.status } : undefined;
}

export interface OauthLink {
  oauth_url: string;
  /** Unix seconds. */
  expiration: number;
}

/** A new single-use link token for the row: its URL and expiry, and what to store. */
function newOauthLink(deps: Deps): { link: OauthLink; hash: string; expiresAt: string } {
  const token = newSecret(40);
  const expires = new Date(deps.clock.now().getTime() + OAUTH_LINK_TTL_MS);
  return {
    link: { oauth_url: `${deps.config.publicUrl}${OAUTH_PAGE_PATH}?token=${token}`, expiration: Math.floor(expires.getTime() / 1000) },
    hash: hashSecret(token),
    expiresAt: expires.toISOString(),
  };
}

const isUniqueViolation = (e: unknown) => {
  const err = e as { code?: unknown; message?: unknown };
  return err?.code === '23505' || err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(String(err?.message ?? ''));
};

const duplicate = (name: string) => fail('configuration_name', `a payment configuration named ${JSON.stringify(name)} already exists on this WhatsApp Business Account: choose another name`);

/**
 * Creates the configuration: a gateway one Needs_Connecting with its OAuth link ({oauth_url,
 * expiration, success}), a UPI one Active at once ({success}, and its webhook).
 */
export async function createConfiguration(deps: Deps, wabaAccountId: string, input: NewConfiguration): Promise<{ success: true } | (OauthLink & { success: true })> {
  const now = deps.clock.now();
  const iso = now.toISOString();
  const upi = input.provider_name === UPI_PROVIDER;
  const link = upi ? undefined : newOauthLink(deps);
  const row: PaymentConfigurationRow = {
    waba_account_id: wabaAccountId,
    configuration_name: input.configuration_name,
    provider_name: input.provider_name,
    merchant_vpa: input.merchant_vpa,
    provider_mid: null,
    purpose_code: input.purpose_code,
    merchant_category_code: input.merchant_category_code,
    status: upi ? 'Active' : 'Needs_Connecting',
    redirect_url: input.redirect_url,
    data_endpoint_url: null,
    oauth_token_hash: link?.hash ?? null,
    oauth_expires_at: link?.expiresAt ?? null,
    created_at: iso,
    updated_at: iso,
  };
  try {
    await deps.db.kysely.transaction().execute(async (tx) => {
      if (await find(tx, wabaAccountId, input.configuration_name)) throw duplicate(input.configuration_name);
      const count = await tx.selectFrom('waba_payment_configurations').select((eb) => eb.fn.countAll<number>().as('n')).where('waba_account_id', '=', wabaAccountId).executeTakeFirst();
      if (Number(count?.n ?? 0) >= MAX_CONFIGURATIONS) throw metaError(400, 100, 'Invalid parameter', `configuration_name: this WhatsApp Business Account already has ${MAX_CONFIGURATIONS} payment configurations (the sandbox's limit): remove one first`);
      await tx.insertInto('waba_payment_configurations').values(row).execute();
      if (upi) await emitConfigurationUpdate(deps, tx, row, now);
    });
  } catch (e) {
    // Two creations of one name at once: the primary key decides, the loser hears Graph's refusal.
    if (isUniqueViolation(e)) throw duplicate(input.configuration_name);
    throw e;
  }
  return link ? { oauth_url: link.link.oauth_url, expiration: link.link.expiration, success: true } : { success: true };
}

export async function updateDataEndpoint(deps: Deps, wabaAccountId: string, name: string, dataEndpointUrl: string | null): Promise<void> {
  const res = await deps.db.kysely
    .updateTable('waba_payment_configurations')
    .set({ data_endpoint_url: dataEndpointUrl, updated_at: deps.clock.now().toISOString() })
    .where('waba_account_id', '=', wabaAccountId)
    .where('configuration_name', '=', name)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw unknownConfiguration(name);
}

export async function removeConfiguration(deps: Deps, wabaAccountId: string, name: string): Promise<void> {
  const res = await deps.db.kysely.deleteFrom('waba_payment_configurations').where('waba_account_id', '=', wabaAccountId).where('configuration_name', '=', name).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw unknownConfiguration(name);
}

/** A new OAuth link for a gateway configuration (the older link stops working); redirect_url replaces the stored one when given. */
export async function regenerateOauthLink(deps: Deps, wabaAccountId: string, name: string, redirectUrl: string | undefined): Promise<OauthLink> {
  const row = await getConfiguration(deps, wabaAccountId, name);
  if (row.provider_name === UPI_PROVIDER) throw fail('configuration_name', `${JSON.stringify(name)} is a UPI (${UPI_PROVIDER}) configuration: only payment gateway configurations are linked by an OAuth link`);
  const link = newOauthLink(deps);
  await deps.db.kysely
    .updateTable('waba_payment_configurations')
    .set({ oauth_token_hash: link.hash, oauth_expires_at: link.expiresAt, ...(redirectUrl !== undefined ? { redirect_url: redirectUrl } : {}) })
    .where('waba_account_id', '=', wabaAccountId)
    .where('configuration_name', '=', name)
    .execute();
  return link.link;
}

/** The sandbox's gateway merchant id: Razorpay's account id shape (`acc_` + 14), others a plain one. */
const sandboxMid = (provider: string) => (provider === 'razorpay' ? `acc_${base62(14)}` : `${provider.toUpperCase()}${base62(12)}`);

export type OauthOutcome = { ok: true; redirect_url: string | null; configuration: PaymentConfigurationRow } | { ok: false; reason: 'unknown' | 'expired' };

/**
 * Opens a sandbox OAuth link: the token's configuration becomes Active (connected to a sandbox
 * merchant account), the token is spent, and the WABA's numbers get payment_configuration_update.
 * An unknown or spent token is 'unknown'; one past its expiry 'expired' (and stays unusable).
 */
export async function openOauthLink(deps: Deps, token: string): Promise<OauthOutcome> {
  if (!/^[A-Za-z0-9]{1,128}$/.test(token)) return { ok: false, reason: 'unknown' };
  const hash = hashSecret(token);
  return deps.db.kysely.transaction().execute(async (tx): Promise<OauthOutcome> => {
    const row = await tx.selectFrom('waba_payment_configurations').selectAll().where('oauth_token_hash', '=', hash).executeTakeFirst();
    if (!row) return { ok: false, reason: 'unknown' };
    const now = deps.clock.now();
    if (!row.oauth_expires_at || Date.parse(row.oauth_expires_at) <= now.getTime()) return { ok: false, reason: 'expired' };
    const updated: PaymentConfigurationRow = { ...row, status: 'Active', provider_mid: row.provider_mid ?? sandboxMid(row.provider_name), oauth_token_hash: null, oauth_expires_at: null, updated_at: now.toISOString() };
    // Spent only if still this token (a concurrent opening of the same link finds it gone).
    const res = await tx
      .updateTable('waba_payment_configurations')
      .set({ status: updated.status, provider_mid: updated.provider_mid, oauth_token_hash: null, oauth_expires_at: null, updated_at: updated.updated_at })
      .where('waba_account_id', '=', row.waba_account_id)
      .where('configuration_name', '=', row.configuration_name)
      .where('oauth_token_hash', '=', hash)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return { ok: false, reason: 'unknown' };
    await emitConfigurationUpdate(deps, tx, updated, now);
    return { ok: true, redirect_url: row.redirect_url, configuration: updated };
  });
}

/** payment_configuration_update to every number of the WABA that has a webhook (its own URL or the WABA's override). */
async function emitConfigurationUpdate(deps: Deps, tx: Executor, row: PaymentConfigurationRow, at: Date): Promise<void> {
  const channels = await tx
    .selectFrom('channels')
    .leftJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .select(['channels.id', 'channels.partner_id', CHANNEL_WEBHOOK_URL.as('webhook_url'), 'waba_accounts.external_id'])
    .where('channels.waba_account_id', '=', row.waba_account_id)
    .execute();
  for (const ch of channels) {
    if (!ch.webhook_url) continue;
    await emitChannelEvent(deps, tx, ch, 'account_update', configurationUpdateWebhook(ch.external_id ?? row.waba_account_id, row, at));
  }
}
