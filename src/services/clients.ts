// Clients: the businesses a partner serves. Each owns WABA accounts and channels.
import type { Selectable } from 'kysely';
import { isoNow, wireTime } from '../clock.ts';
import type { ClientsTable } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { hubId } from '../ids.ts';
import { emitPartnerEvent, inTransaction } from '../webhooks/partner-events.ts';
import {
  listQueries,
  runList,
  type ListEnvelope,
  type ListQueryInput,
  type ListSpec,
} from '../partner-api/list-query.ts';

export type ClientRow = Selectable<ClientsTable>;

const META_INFO = ['business_vertical', 'timezone', 'about', 'business_description', 'use_case'] as const;
const CONTACT_INFO = ['webpage_url', 'phone', 'language', 'country', 'street_name', 'city', 'email', 'full_name', 'zip_code'] as const;
const CONTACT_USER = ['phone', 'email', 'name'] as const;

export function clientToWire(c: ClientRow) {
  const pick = <K extends string>(keys: readonly K[], prefix: string) =>
    Object.fromEntries(keys.map((k) => [k, (c as unknown as Record<string, string | null>)[prefix + k] ?? null])) as Record<K, string | null>;
  return {
    id: c.id,
    partner_id: c.partner_id,
    name: c.name,
    status: c.status,
    max_channels: c.max_channels,
    organisation: c.organisation,
    partner_payload: c.partner_payload,
    meta_info: pick(META_INFO, 'meta_'),
    contact_info: pick(CONTACT_INFO, 'contact_'),
    contact_user: pick(CONTACT_USER, 'contact_user_'),
    suspicious: c.suspicious === 1,
    created_at: wireTime(c.created_at),
    created_by: JSON.parse(c.created_by) as { user_id: string; user_name: string },
    modified_at: wireTime(c.modified_at),
    modified_by: JSON.parse(c.modified_by) as { user_id: string; user_name: string },
  };
}
export type ClientWire = ReturnType<typeof clientToWire>;

const s = (column: string) => ({ column: `clients.${column}`, type: 'string' as const });
export const CLIENT_LIST: ListSpec = {
  collection: 'clients',
  fields: {
    id: s('id'),
    name: s('name'),
    status: s('status'),
    organisation: s('organisation'),
    partner_payload: s('partner_payload'),
    max_channels: { column: 'clients.max_channels', type: 'number' },
    suspicious: { column: 'clients.suspicious', type: 'boolean' },
    created_at: { column: 'clients.created_at', type: 'time' },
    modified_at: { column: 'clients.modified_at', type: 'time' },
    ...Object.fromEntries(META_INFO.map((k) => [`meta_info.${k}`, s(`meta_${k}`)])),
    ...Object.fromEntries(CONTACT_INFO.map((k) => [`contact_info.${k}`, s(`contact_${k}`)])),
    ...Object.fromEntries(CONTACT_USER.map((k) => [`contact_user.${k}`, s(`contact_user_${k}`)])),
  },
  tieBreaker: 'clients.id',
  // `q`: free text over name, e-mail, organisation, payload and id (an extension; the reference
  // documents `q` for channels only).
  search: ['clients.id', 'clients.name', 'clients.contact_email', 'clients.organisation', 'clients.partner_payload'],
  defaultSort: ['created_at'],
  defaultLimit: 1000,
  maxLimit: 1000,
};

export interface Actor {
  user_id: string;
  user_name: string;
}
export const SYSTEM_ACTOR: Actor = { user_id: 'system', user_name: 'system' };

export interface NewClient {
  name: string;
  email?: string | null;
  user_name?: string | null;
  phone?: string | null;
  organisation?: string | null;
  partner_payload?: string | null;
  max_channels?: number;
  status?: string;
  timezone?: string | null;
  website?: string | null;
  country?: string | null;
}

export async function createClient(
  deps: Deps,
  partnerId: string,
  input: NewClient,
  actor: Actor = SYSTEM_ACTOR,
  tx: Executor = deps.db.kysely,
): Promise<ClientRow> {
  const now = isoNow(deps.clock);
  const row: ClientRow = {
    id: hubId('client'),
    partner_id: partnerId,
    name: input.name,
    status: input.status ?? 'active',
    max_channels: input.max_channels ?? 1,
    organisation: input.organisation ?? input.name,
    partner_payload: input.partner_payload ?? null,
    meta_business_vertical: null,
    meta_timezone: input.timezone ?? null,
    meta_about: null,
    meta_business_description: null,
    meta_use_case: null,
    contact_webpage_url: input.website ?? null,
    contact_phone: input.phone ?? null,
    contact_language: null,
    contact_country: input.country ?? null,
    contact_street_name: null,
    contact_city: null,
    contact_email: input.email ?? null,
    contact_full_name: input.user_name ?? null,
    contact_zip_code: null,
    contact_user_phone: input.phone ?? null,
    contact_user_email: input.email ?? null,
    contact_user_name: input.user_name ?? null,
    suspicious: 0,
    created_at: now,
    created_by: JSON.stringify(actor),
    modified_at: now,
    modified_by: JSON.stringify(actor),
  };
  // The client and its client_created event commit together.
  await inTransaction(deps, tx, async (t) => {
    await t.insertInto('clients').values(row).execute();
    await emitPartnerEvent(deps, t, partnerId, 'client_created', clientToWire(row));
  });
  return row;
}

/** A client of this partner, or 404 (another partner's client is "not found" too). */
export async function getClient(deps: Deps, partnerId: string, clientId: string): Promise<ClientRow> {
  const c = await deps.db.kysely
    .selectFrom('clients')
    .selectAll()
    .where('id', '=', clientId)
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
  if (!c) throw notFound(`Client ${clientId} not found`);
  return c;
}

export async function updateClient(
  deps: Deps,
  partnerId: string,
  clientId: string,
  patch: { partner_payload?: string | null; max_channels?: number },
  actor: Actor,
): Promise<ClientRow> {
  await getClient(deps, partnerId, clientId);
  const values: Partial<ClientRow> = { modified_at: isoNow(deps.clock), modified_by: JSON.stringify(actor) };
  if (patch.partner_payload !== undefined) values.partner_payload = patch.partner_payload;
  if (patch.max_channels !== undefined) values.max_channels = patch.max_channels;
  await deps.db.kysely.updateTable('clients').set(values).where('id', '=', clientId).where('partner_id', '=', partnerId).execute();
  return getClient(deps, partnerId, clientId);
}

/** The two queries of the client list (one page, and the total), built but not run. */
export function clientListQueries(deps: Deps, partnerId: string, query: ListQueryInput) {
  const base = deps.db.kysely.selectFrom('clients').where('clients.partner_id', '=', partnerId);
  return listQueries(base, query, CLIENT_LIST, (q) => q.selectAll('clients'));
}

export async function listClients(
  deps: Deps,
  partnerId: string,
  query: ListQueryInput,
): Promise<ListEnvelope & { clients: ClientWire[] }> {
  const { envelope, rows } = await runList(clientListQueries(deps, partnerId, query));
  return { ...envelope, clients: rows.map(clientToWire) };
}
